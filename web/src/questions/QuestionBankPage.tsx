/** The question bank: browse and search, create, edit, archive, and try a question's solution. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { useSession } from "../api/useSession";
import { Alert, Badge, Button, EmptyState, ErrorState, Field, inputClass, Spinner } from "../components/ui";
import { useTitle } from "../lib/useTitle";
import {
  createQuestion,
  deleteQuestion,
  DIFFICULTIES,
  questionKeys,
  questionsQuery,
  STARTER_LANGUAGES,
  tryQuestion,
  updateQuestion,
  type Difficulty,
  type Question,
  type QuestionContent,
  type QuestionFilter,
  type TestCase,
  type TryResult,
} from "./api";
import { Markdown } from "./Markdown";
import { TestResults } from "./TestResults";
import { plural } from "../lib/plural";

const PAGE_SIZE = 20;
const EMPTY_FILTER: QuestionFilter = { q: "", tag: "", difficulty: "", archived: false, limit: PAGE_SIZE, offset: 0 };
const BLANK: QuestionContent = {
  title: "",
  prompt: "",
  difficulty: "medium",
  tags: [],
  starters: {},
  tests: [],
  solution: "",
  solution_language: "python",
  guidance: "",
  rubric: [],
  // A project question's tree and commands (docs/projects.md); not edited on this page yet.
  files: {},
  hidden_files: {},
  entry: "",
  run_command: "",
  test_command: "",
};

export function QuestionBankPage() {
  useTitle("Question bank");
  const state = useSession();
  const [filter, setFilter] = useState<QuestionFilter>(EMPTY_FILTER);
  const [editing, setEditing] = useState<Question | "new" | null>(null);
  const list = useQuery(questionsQuery(filter));
  if (state.kind !== "user") return null;
  const change = (patch: Partial<QuestionFilter>) => setFilter((f) => ({ ...f, ...patch, offset: 0 }));
  const total = list.data?.total ?? 0;

  if (editing) {
    const mayEdit = editing === "new" || state.user.role === "lead" || editing.author?.id === state.user.id;
    return <QuestionEditor key={editing === "new" ? "new" : editing.id} question={editing === "new" ? null : editing} mayEdit={mayEdit} onClose={() => setEditing(null)} />;
  }
  return (
    <div className="space-y-6">
      <div className="flex items-center gap-4">
        <h1 className="text-2xl font-semibold text-slate-900">Question bank</h1>
        <Button variant="primary" className="ml-auto" onClick={() => setEditing("new")}>
          New question
        </Button>
      </div>
      <div className="flex flex-wrap gap-3">
        <input className={`${inputClass} max-w-xs`} placeholder="Search title, prompt, tags" value={filter.q} onChange={(e) => change({ q: e.target.value })} aria-label="Search" />
        <input className={`${inputClass} max-w-40`} placeholder="Tag" value={filter.tag} onChange={(e) => change({ tag: e.target.value })} aria-label="Tag" />
        <select className={`${inputClass} max-w-40`} value={filter.difficulty} onChange={(e) => change({ difficulty: e.target.value as Difficulty | "" })} aria-label="Difficulty">
          <option value="">Any difficulty</option>
          {DIFFICULTIES.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        <label className="flex items-center gap-2 text-sm text-slate-600">
          <input type="checkbox" checked={filter.archived} onChange={(e) => change({ archived: e.target.checked })} /> Archived
        </label>
      </div>
      {list.isLoading ? (
        <Spinner />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : total === 0 ? (
        <EmptyState title="No questions here">
          Create one, or import a folder with <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-700">codepair questions import DIR</code>.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg bg-white shadow-xs ring-1 ring-slate-200" data-testid="question-list">
          {list.data?.items.map((q) => (
            <li key={q.id}>
              <button type="button" className="flex w-full items-center gap-3 px-4 py-3 text-left hover:bg-slate-50" onClick={() => setEditing(q)}>
                <span className="font-medium text-slate-900">{q.title}</span>
                <Badge kind={q.difficulty === "hard" ? "ended" : q.difficulty === "easy" ? "live" : "scheduled"}>{q.difficulty}</Badge>
                <span className="truncate text-xs text-slate-500">{q.tags.join(", ")}</span>
                <span className="ml-auto shrink-0 text-xs text-slate-400">
                  {plural(q.tests.length, "test")} · used in {plural(q.used, "room")}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {total > PAGE_SIZE && (
        <div className="flex items-center gap-3 text-sm text-slate-600">
          <Button size="sm" disabled={filter.offset === 0} onClick={() => setFilter((f) => ({ ...f, offset: Math.max(0, f.offset - PAGE_SIZE) }))}>
            Previous
          </Button>
          <span>
            {filter.offset + 1}–{Math.min(total, filter.offset + PAGE_SIZE)} of {total}
          </span>
          <Button size="sm" disabled={filter.offset + PAGE_SIZE >= total} onClick={() => setFilter((f) => ({ ...f, offset: f.offset + PAGE_SIZE }))}>
            Next
          </Button>
        </div>
      )}
    </div>
  );
}

function QuestionEditor({ question, mayEdit, onClose }: { question: Question | null; mayEdit: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<QuestionContent>(() => (question ? pick(question) : BLANK));
  const [saved, setSaved] = useState<Question | null>(question);
  const [starterLang, setStarterLang] = useState<string>("python");
  const [preview, setPreview] = useState(false);
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);
  const [tried, setTried] = useState<TryResult | null>(null);
  const set = (patch: Partial<QuestionContent>) => setDraft((d) => ({ ...d, ...patch }));
  const setTest = (index: number, patch: Partial<TestCase>) => set({ tests: draft.tests.map((t, i) => (i === index ? { ...t, ...patch } : t)) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: questionKeys.all });

  const save = useMutation({
    mutationFn: () => (saved ? updateQuestion(saved.id, draft) : createQuestion(draft)),
    onSuccess: (q) => {
      setSaved(q);
      setMessage({ tone: "success", text: "Saved." });
      void refresh();
    },
    onError: (e) => setMessage({ tone: "error", text: e.message }),
  });
  const remove = useMutation({
    mutationFn: () => deleteQuestion(saved?.id ?? ""),
    onSuccess: (r) => {
      void refresh();
      if (r.outcome === "deleted") onClose();
      else setMessage({ tone: "success", text: "A room used this question: it is archived, not deleted." });
    },
    onError: (e) => setMessage({ tone: "error", text: e.message }),
  });
  const tryIt = useMutation({
    mutationFn: () => tryQuestion(saved?.id ?? "", {}),
    onSuccess: setTried,
    onError: (e) => setMessage({ tone: "error", text: e.message }),
  });
  const ro = !mayEdit;

  return (
    <div className="space-y-5" data-testid="question-editor">
      <div className="flex items-center gap-3">
        <Button size="sm" onClick={onClose}>
          ← Back
        </Button>
        <h1 className="text-xl font-semibold text-slate-900">{saved ? saved.title : "New question"}</h1>
        {saved?.archived && <Badge kind="ended">archived</Badge>}
        <div className="ml-auto flex gap-2">
          {saved && (
            <Button busy={tryIt.isPending} onClick={() => tryIt.mutate()} data-testid="try-question">
              Try the solution
            </Button>
          )}
          {saved && mayEdit && (
            <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
              {saved.used ? "Archive" : "Delete"}
            </Button>
          )}
          {mayEdit && (
            <Button variant="primary" busy={save.isPending} onClick={() => save.mutate()} data-testid="save-question">
              Save
            </Button>
          )}
        </div>
      </div>
      {!mayEdit && <Alert tone="info">Only the author or a lead can change this question; you can use it in your rooms.</Alert>}
      {message && <Alert tone={message.tone}>{message.text}</Alert>}
      {tried && <TestResults tests={tried.tests} passed={tried.passed} total={tried.total} />}
      <div className="grid gap-4 md:grid-cols-3">
        <div className="md:col-span-2">
          <Field label="Title">{(id) => <input id={id} className={inputClass} value={draft.title} disabled={ro} onChange={(e) => set({ title: e.target.value })} />}</Field>
        </div>
        <Field label="Difficulty">
          {(id) => (
            <select id={id} className={inputClass} value={draft.difficulty} disabled={ro} onChange={(e) => set({ difficulty: e.target.value as Difficulty })}>
              {DIFFICULTIES.map((d) => (
                <option key={d}>{d}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field label="Tags" hint="Comma-separated">
        {(id) => (
          <input
            id={id}
            className={inputClass}
            disabled={ro}
            value={draft.tags.join(", ")}
            onChange={(e) => set({ tags: e.target.value.split(",").map((t) => t.trim()).filter(Boolean) })}
          />
        )}
      </Field>
      <div className="space-y-1">
        <div className="flex items-center gap-3">
          <span className="text-sm font-medium text-slate-700">Prompt (Markdown)</span>
          <button type="button" className="text-xs text-indigo-600" onClick={() => setPreview((p) => !p)}>
            {preview ? "Edit" : "Preview"}
          </button>
        </div>
        {preview ? (
          <div className="rounded-md bg-white p-3 ring-1 ring-slate-200">
            <Markdown source={draft.prompt} />
          </div>
        ) : (
          <textarea className={`${inputClass} h-40 font-mono`} disabled={ro} value={draft.prompt} onChange={(e) => set({ prompt: e.target.value })} aria-label="Prompt" />
        )}
      </div>
      <div className="space-y-1">
        <div className="flex items-center gap-2 text-sm font-medium text-slate-700">
          Starter code
          {STARTER_LANGUAGES.map((lang) => (
            <button key={lang} type="button" className={`rounded px-2 py-0.5 text-xs ${starterLang === lang ? "bg-slate-800 text-white" : "bg-slate-100 text-slate-600"}`} onClick={() => setStarterLang(lang)}>
              {lang}
            </button>
          ))}
        </div>
        <textarea
          className={`${inputClass} h-32 font-mono`}
          disabled={ro}
          aria-label={`Starter code in ${starterLang}`}
          value={draft.starters[starterLang] ?? ""}
          onChange={(e) => {
            const others = Object.entries(draft.starters).filter(([lang]) => lang !== starterLang);
            set({ starters: Object.fromEntries(e.target.value ? [...others, [starterLang, e.target.value]] : others) });
          }}
        />
      </div>
      <div className="space-y-2">
        <div className="flex items-center gap-2">
          <span className="text-sm font-medium text-slate-700">Tests ({draft.tests.length})</span>
          {mayEdit && (
            <Button size="sm" onClick={() => set({ tests: [...draft.tests, { name: `test ${draft.tests.length + 1}`, stdin: "", expected_stdout: "", hidden: false, compare: "trailing_whitespace" }] })}>
              Add a test
            </Button>
          )}
        </div>
        {draft.tests.map((t, i) => (
          <div key={i} className="grid grid-cols-2 gap-2 rounded-md bg-white p-2 ring-1 ring-slate-200" data-testid="test-row">
            <div className="col-span-2 flex items-center gap-3">
              <input className={`${inputClass} max-w-60`} disabled={ro} value={t.name} onChange={(e) => setTest(i, { name: e.target.value })} aria-label="Test name" />
              <label className="flex items-center gap-1 text-xs text-slate-600">
                <input type="checkbox" disabled={ro} checked={t.hidden} onChange={(e) => setTest(i, { hidden: e.target.checked })} /> hidden
              </label>
              <select className={`${inputClass} max-w-56`} disabled={ro} value={t.compare} onChange={(e) => setTest(i, { compare: e.target.value as TestCase["compare"] })} aria-label="Comparison">
                <option value="trailing_whitespace">ignore trailing whitespace</option>
                <option value="exact">exact</option>
              </select>
              {mayEdit && (
                <Button size="sm" variant="ghost" className="ml-auto" onClick={() => set({ tests: draft.tests.filter((_, j) => j !== i) })}>
                  Remove
                </Button>
              )}
            </div>
            <textarea className={`${inputClass} h-20 font-mono text-xs`} disabled={ro} placeholder="stdin" value={t.stdin} onChange={(e) => setTest(i, { stdin: e.target.value })} aria-label="Input" />
            <textarea className={`${inputClass} h-20 font-mono text-xs`} disabled={ro} placeholder="expected stdout" value={t.expected_stdout} onChange={(e) => setTest(i, { expected_stdout: e.target.value })} aria-label="Expected output" />
          </div>
        ))}
      </div>
      <div className="grid gap-4 md:grid-cols-4">
        <Field label="Solution language">
          {(id) => (
            <select id={id} className={inputClass} disabled={ro} value={draft.solution_language} onChange={(e) => set({ solution_language: e.target.value })}>
              {["python", "javascript", "typescript", "c", "cpp", "java", "rust", "go", "shell"].map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          )}
        </Field>
        <div className="md:col-span-3">
          <Field label="Reference solution (interviewers only)">
            {(id) => <textarea id={id} className={`${inputClass} h-32 font-mono`} disabled={ro} value={draft.solution} onChange={(e) => set({ solution: e.target.value })} />}
          </Field>
        </div>
      </div>
      <Field label="Guidance for interviewers">
        {(id) => <textarea id={id} className={`${inputClass} h-24`} disabled={ro} value={draft.guidance} onChange={(e) => set({ guidance: e.target.value })} />}
      </Field>
      <div className="space-y-2">
        <div className="flex items-center gap-2">
          <span className="text-sm font-medium text-slate-700">Rubric</span>
          {mayEdit && (
            <Button size="sm" onClick={() => set({ rubric: [...draft.rubric, { criterion: "", description: "" }] })}>
              Add a criterion
            </Button>
          )}
        </div>
        {draft.rubric.map((c, i) => (
          <div key={i} className="flex gap-2">
            <input className={`${inputClass} max-w-60`} disabled={ro} placeholder="Criterion" value={c.criterion} onChange={(e) => set({ rubric: draft.rubric.map((r, j) => (j === i ? { ...r, criterion: e.target.value } : r)) })} aria-label="Criterion" />
            <input className={inputClass} disabled={ro} placeholder="What good looks like" value={c.description} onChange={(e) => set({ rubric: draft.rubric.map((r, j) => (j === i ? { ...r, description: e.target.value } : r)) })} aria-label="Description" />
          </div>
        ))}
      </div>
    </div>
  );
}

function pick(q: Question): QuestionContent {
  const { title, prompt, difficulty, tags, starters, tests, solution, solution_language, guidance, rubric } = q;
  const { files, hidden_files, entry, run_command, test_command } = q;
  return {
    title, prompt, difficulty, tags, starters, tests, solution, solution_language, guidance, rubric,
    files, hidden_files, entry, run_command, test_command,
  };
}
