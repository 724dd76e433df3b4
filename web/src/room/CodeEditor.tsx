/** The shared code editor: the room's project (files, tabs, Monaco) is projects/ProjectEditor. */
import { LANGUAGES } from "../api/types";
import { ProjectEditor, type ProjectEditorProps } from "../projects/ProjectEditor";
import type { RoomDoc } from "../realtime/ydoc";

export function CodeEditor(props: ProjectEditorProps) {
  return <ProjectEditor {...props} />;
}

export function LanguagePicker({ roomDoc, language, disabled }: { roomDoc: RoomDoc | null; language: string; disabled?: boolean }) {
  return (
    <select
      aria-label="Language"
      data-testid="language-picker"
      className="rounded-md border-0 bg-slate-800 py-1 pr-8 pl-2.5 text-sm text-slate-100 ring-1 ring-slate-700 focus:ring-2 focus:ring-indigo-500"
      value={language}
      disabled={disabled || !roomDoc}
      onChange={(e) => roomDoc?.doc.getMap<string>("meta").set("language", e.target.value)}
    >
      {LANGUAGES.map((l) => (
        <option key={l.id} value={l.id}>
          {l.label}
        </option>
      ))}
    </select>
  );
}
