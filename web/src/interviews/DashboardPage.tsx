/** The interviewer's rooms: search, filter, paginate, create, copy the invite, edit, end, delete. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router";

import { deleteRoom, endRoom, roomKeys, roomsQuery, type RoomFilter } from "../api/queries";
import { LANGUAGES, type Room, type RoomStatus } from "../api/types";
import { Avatar, Badge, Button, ConfirmDialog, EmptyState, ErrorState, inputClass, onTabListKeys, Spinner } from "../components/ui";
import { personSeed } from "../lib/colors";
import { copyText } from "../lib/clipboard";
import { prefetchRoomPage } from "../roomChunk";
import { formatDateTime } from "../lib/time";
import { RoomFormDialog } from "./RoomFormDialog";
import { hasReplay, PHASE_LABELS, roomPhase } from "./roomState";
import { scorecardStatusesQuery, type ScorecardStatus } from "../reports/api";
import { ScorecardState, ScorecardWaiting } from "../reports/DashboardScorecards";
import { useTitle } from "../lib/useTitle";
import { TakeHomesSection } from "../assessments/TakeHomesSection";

const PAGE_SIZE = 10;
const TABS: { value: RoomStatus | ""; label: string }[] = [
  { value: "", label: "All" },
  { value: "live", label: "Live" },
  { value: "scheduled", label: "Scheduled" },
  { value: "ended", label: "Ended" },
];

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function DashboardPage() {
  useTitle("Interviews");
  const [status, setStatus] = useState<RoomStatus | "">("");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(0);
  const q = useDebounced(search, 250);
  const filter: RoomFilter = { status, q, limit: PAGE_SIZE, offset: page * PAGE_SIZE };
  const rooms = useQuery(roomsQuery(filter));
  const scorecards = useQuery(scorecardStatusesQuery(rooms.data?.items.map((room) => room.id) ?? []));
  const [editing, setEditing] = useState<Room | null>(null);
  const [creating, setCreating] = useState(false);
  const [confirm, setConfirm] = useState<{ room: Room; action: "end" | "delete" } | null>(null);
  const [created, setCreated] = useState<Room | null>(null);

  const total = rooms.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  return (
    <div className="space-y-6">
      <div className="flex items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold text-slate-900">Interviews</h1>
          <p className="mt-1 text-sm text-slate-500">Schedule rooms, send the invite link, and join when it is time.</p>
        </div>
        <Button variant="primary" onClick={() => setCreating(true)}>
          <span aria-hidden="true" className="text-base leading-none">+</span> New interview
        </Button>
      </div>

      {created && <CreatedBanner room={created} onClose={() => setCreated(null)} />}
      <ScorecardWaiting />

      <div className="flex flex-wrap items-center gap-3">
        <div role="tablist" aria-label="Filter by status" className="inline-flex rounded-lg bg-slate-100 p-1" onKeyDown={onTabListKeys}>
          {TABS.map((tab) => (
            <button
              key={tab.value}
              role="tab"
              type="button"
              aria-selected={status === tab.value}
              tabIndex={status === tab.value ? 0 : -1}
              className={`rounded-md px-3 py-1 text-sm font-medium ${status === tab.value ? "bg-white text-slate-900 shadow-xs" : "text-slate-600 hover:text-slate-900"}`}
              onClick={() => {
                setStatus(tab.value);
                setPage(0);
              }}
            >
              {tab.label}
            </button>
          ))}
        </div>
        <input
          type="search"
          aria-label="Search interviews"
          placeholder="Search candidate or title…"
          className={`${inputClass} max-w-xs`}
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setPage(0);
          }}
        />
        {rooms.isFetching && !rooms.isLoading && <Spinner className="h-4 w-4 text-slate-400" />}
      </div>

      <div className="overflow-hidden rounded-xl bg-white shadow-xs ring-1 ring-slate-200">
        {rooms.isLoading ? (
          <div className="flex items-center justify-center gap-2 py-16 text-sm text-slate-500">
            <Spinner /> Loading interviews…
          </div>
        ) : rooms.error ? (
          <ErrorState error={rooms.error} onRetry={() => void rooms.refetch()} />
        ) : rooms.data && rooms.data.items.length === 0 ? (
          <EmptyState title={q || status ? "No interviews match" : "No interviews yet"}>
            {q || status ? "Try another search or filter." : "Create one and send the candidate their link."}
          </EmptyState>
        ) : (
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">Candidate</th>
                <th scope="col" className="px-4 py-3">Status</th>
                <th scope="col" className="px-4 py-3">Scheduled</th>
                <th scope="col" className="px-4 py-3">Interviewers</th>
                <th scope="col" className="px-4 py-3">Scorecards</th>
                <th scope="col" className="px-4 py-3"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {rooms.data?.items.map((room) => (
                <RoomRow
                  key={room.id}
                  room={room}
                  scorecard={scorecards.data?.[room.id]}
                  onEdit={() => setEditing(room)}
                  onEnd={() => setConfirm({ room, action: "end" })}
                  onDelete={() => setConfirm({ room, action: "delete" })}
                />
              ))}
            </tbody>
          </table>
        )}
        {total > PAGE_SIZE && (
          <nav className="flex items-center justify-between border-t border-slate-200 px-4 py-3 text-sm" aria-label="Pagination">
            <span className="text-slate-500">
              {page * PAGE_SIZE + 1}–{Math.min(total, (page + 1) * PAGE_SIZE)} of {total}
            </span>
            <div className="flex gap-2">
              <Button size="sm" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>
                Previous
              </Button>
              <Button size="sm" disabled={page + 1 >= pages} onClick={() => setPage((p) => p + 1)}>
                Next
              </Button>
            </div>
          </nav>
        )}
      </div>

      <TakeHomesSection />

      <RoomFormDialog
        open={creating || editing !== null}
        room={editing}
        onClose={() => {
          setCreating(false);
          setEditing(null);
        }}
        onSaved={(room) => {
          if (creating) setCreated(room);
          setCreating(false);
          setEditing(null);
        }}
      />
      <RoomAction confirm={confirm} onClose={() => setConfirm(null)} />
    </div>
  );
}

function CreatedBanner({ room, onClose }: { room: Room; onClose: () => void }) {
  return (
    <div className="flex items-center gap-4 rounded-xl bg-emerald-50 px-4 py-3 ring-1 ring-emerald-200" role="status">
      <div className="flex-1 text-sm text-emerald-900">
        <strong className="font-semibold">Interview with {room.candidate_name} created.</strong> Send the candidate this link:
        <code className="ml-2 rounded bg-white px-2 py-0.5 text-xs text-slate-700 ring-1 ring-emerald-200" data-testid="invite-url">
          {room.invite_url}
        </code>
      </div>
      <CopyLink room={room} />
      <Link to={`/rooms/${room.id}`} className="text-sm font-medium text-emerald-800 hover:underline">
        Open room
      </Link>
      <button type="button" className="text-emerald-700 hover:text-emerald-900" aria-label="Dismiss" onClick={onClose}>
        ×
      </button>
    </div>
  );
}

function CopyLink({ room }: { room: Room }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  if (!room.invite_url) return null;
  const url = room.invite_url;
  return (
    <Button
      size="sm"
      aria-label={`Copy invite link for ${room.candidate_name}`}
      data-invite-url={url}
      title={state === "failed" ? url : undefined}
      onClick={() => {
        void copyText(url).then((ok) => {
          setState(ok ? "copied" : "failed");
          if (!ok) window.prompt("Copy the invite link:", url);
          setTimeout(() => setState("idle"), 2000);
        });
      }}
    >
      {state === "copied" ? "Copied" : "Copy link"}
    </Button>
  );
}

function RoomRow({
  room,
  scorecard,
  onEdit,
  onEnd,
  onDelete,
}: {
  room: Room;
  scorecard: ScorecardStatus | undefined;
  onEdit: () => void;
  onEnd: () => void;
  onDelete: () => void;
}) {
  const language = LANGUAGES.find((l) => l.id === room.language)?.label ?? room.language;
  const team = [room.owner, ...room.interviewers];
  const phase = roomPhase(room);
  return (
    <tr className="hover:bg-slate-50/60">
      <td className="px-4 py-3">
        <div className="font-medium text-slate-900">{room.candidate_name}</div>
        <div className="text-xs text-slate-500">
          {room.title || "Untitled"} · {language} · {room.duration_minutes} min
        </div>
      </td>
      <td className="px-4 py-3">
        <Badge kind={phase}>{PHASE_LABELS[phase]}</Badge>
      </td>
      <td className="px-4 py-3 text-slate-600">{room.scheduled_at ? formatDateTime(room.scheduled_at) : "Any time"}</td>
      <td className="px-4 py-3">
        <div className="flex items-center -space-x-1.5" title={team.map((p) => p.name).join(", ")}>
          {team.slice(0, 4).map((p) => (
            <span key={p.id} className="rounded-full ring-2 ring-white">
              <Avatar name={p.name} size="sm" seed={personSeed("interviewer", p.name)} />
            </span>
          ))}
          <span className="pl-3 text-xs text-slate-500">{team.map((p) => p.name.split(" ")[0]).join(", ")}</span>
        </div>
      </td>
      <td className="px-4 py-3">
        <ScorecardState roomId={room.id} status={scorecard} />
      </td>
      <td className="px-4 py-3">
        <div className="flex items-center justify-end gap-1.5">
          {room.status !== "ended" && <CopyLink room={room} />}
          <Link
            to={`/rooms/${room.id}`}
            onMouseEnter={prefetchRoomPage}
            onFocus={prefetchRoomPage}
            className="rounded-md bg-indigo-600 px-2.5 py-1 text-xs font-medium text-white hover:bg-indigo-500"
            aria-label={`Open room with ${room.candidate_name}`}
          >
            {room.status === "ended" ? "View" : "Open"}
          </Link>
          {hasReplay(room) && (
            <Link
              to={`/rooms/${room.id}/replay`}
              className="rounded-md px-2.5 py-1 text-xs font-medium text-indigo-700 ring-1 ring-indigo-200 hover:bg-indigo-50"
              aria-label={`Replay interview with ${room.candidate_name}`}
            >
              Replay
            </Link>
          )}
          <Button size="sm" variant="ghost" onClick={onEdit} aria-label={`Edit interview with ${room.candidate_name}`}>
            Edit
          </Button>
          {room.status !== "ended" && (
            <Button size="sm" variant="ghost" onClick={onEnd} aria-label={`End interview with ${room.candidate_name}`}>
              End
            </Button>
          )}
          <Button size="sm" variant="ghost" className="hover:text-rose-600" onClick={onDelete} aria-label={`Delete interview with ${room.candidate_name}`}>
            Delete
          </Button>
        </div>
      </td>
    </tr>
  );
}

function RoomAction({ confirm, onClose }: { confirm: { room: Room; action: "end" | "delete" } | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const action = useMutation({
    mutationFn: ({ room, action }: { room: Room; action: "end" | "delete" }) =>
      action === "end" ? endRoom(room.id).then(() => undefined) : deleteRoom(room.id),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: roomKeys.all });
      onClose();
    },
  });
  const room = confirm?.room;
  const isEnd = confirm?.action === "end";
  return (
    <ConfirmDialog
      open={confirm !== null}
      title={isEnd ? "End this interview?" : "Delete this interview?"}
      message={
        isEnd ? (
          <p>
            {room?.candidate_name} will be disconnected at once and the invite link stops working. The code, notes and chat stay
            available.
          </p>
        ) : (
          <p>The room with {room?.candidate_name}, its code, notes, chat and runs will be deleted for good.</p>
        )
      }
      confirmLabel={isEnd ? "End interview" : "Delete"}
      busy={action.isPending}
      error={action.error?.message}
      onConfirm={() => confirm && action.mutate(confirm)}
      onClose={() => {
        action.reset();
        onClose();
      }}
    />
  );
}
