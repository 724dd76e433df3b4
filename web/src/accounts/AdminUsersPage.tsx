/** Leads manage accounts: create, change role, deactivate and reactivate. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Navigate } from "react-router";

import { createUser, updateUser, userKeys, usersQuery } from "../api/queries";
import type { User, UserRole } from "../api/types";
import { useSession } from "../api/useSession";
import { Alert, Avatar, Badge, Button, EmptyState, ErrorState, Field, inputClass, Modal, Spinner } from "../components/ui";
import { personSeed } from "../lib/colors";
import { formatDateTime } from "../lib/time";
import { useTitle } from "../lib/useTitle";
import { plural } from "../lib/plural";

const PAGE_SIZE = 20;

export function AdminUsersPage() {
  useTitle("Users");
  const state = useSession();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(0);
  const [creating, setCreating] = useState(false);
  const users = useQuery({ ...usersQuery({ q, limit: PAGE_SIZE, offset: page * PAGE_SIZE }), enabled: state.kind === "user" && state.user.role === "lead" });
  if (state.kind !== "user") return null;
  if (state.user.role !== "lead") return <Navigate to="/" replace />;
  const total = users.data?.total ?? 0;

  return (
    <div className="space-y-6">
      <div className="flex items-end justify-between">
        <div>
          <h1 className="text-2xl font-semibold text-slate-900">Users</h1>
          <p className="mt-1 text-sm text-slate-500">Interviewers and leads of this CodePair server.</p>
        </div>
        <Button variant="primary" onClick={() => setCreating(true)}>
          + Add user
        </Button>
      </div>
      <input
        type="search"
        aria-label="Search users"
        placeholder="Search name or email…"
        className={`${inputClass} max-w-xs`}
        value={q}
        onChange={(e) => {
          setQ(e.target.value);
          setPage(0);
        }}
      />
      <div className="overflow-hidden rounded-xl bg-white shadow-xs ring-1 ring-slate-200">
        {users.isLoading ? (
          <div className="flex justify-center gap-2 py-16 text-sm text-slate-500">
            <Spinner /> Loading users…
          </div>
        ) : users.error ? (
          <ErrorState error={users.error} onRetry={() => void users.refetch()} />
        ) : users.data?.items.length === 0 ? (
          <EmptyState title="No users match" />
        ) : (
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-500 uppercase">
              <tr>
                <th scope="col" className="px-4 py-3">Name</th>
                <th scope="col" className="px-4 py-3">Role</th>
                <th scope="col" className="px-4 py-3">Status</th>
                <th scope="col" className="px-4 py-3">Created</th>
                <th scope="col" className="px-4 py-3"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {users.data?.items.map((user) => <UserRow key={user.id} user={user} self={user.id === state.user.id} />)}
            </tbody>
          </table>
        )}
        {total > PAGE_SIZE && (
          <nav className="flex items-center justify-between border-t border-slate-200 px-4 py-3 text-sm" aria-label="Pagination">
            <span className="text-slate-500">{plural(total, "user")}</span>
            <div className="flex gap-2">
              <Button size="sm" disabled={page === 0} onClick={() => setPage((p) => p - 1)}>Previous</Button>
              <Button size="sm" disabled={(page + 1) * PAGE_SIZE >= total} onClick={() => setPage((p) => p + 1)}>Next</Button>
            </div>
          </nav>
        )}
      </div>
      <CreateUserDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function UserRow({ user, self }: { user: User; self: boolean }) {
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: (body: { role?: UserRole; is_active?: boolean }) => updateUser(user.id, body),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: userKeys.all }),
  });
  return (
    <tr>
      <td className="px-4 py-3">
        <div className="flex items-center gap-3">
          <Avatar name={user.name} seed={personSeed("interviewer", user.name)} />
          <div>
            <div className="font-medium text-slate-900">{user.name}{self && <span className="ml-1 text-xs text-slate-400">(you)</span>}</div>
            <div className="text-xs text-slate-500">{user.email}</div>
          </div>
        </div>
        {change.error && <p className="mt-1 text-xs text-rose-600">{change.error.message}</p>}
      </td>
      <td className="px-4 py-3">
        <select
          aria-label={`Role of ${user.name}`}
          className="rounded-md border-0 bg-transparent py-1 text-sm ring-1 ring-slate-200"
          value={user.role}
          disabled={self || change.isPending}
          onChange={(e) => change.mutate({ role: e.target.value as UserRole })}
        >
          <option value="interviewer">Interviewer</option>
          <option value="lead">Lead</option>
        </select>
      </td>
      <td className="px-4 py-3">{user.is_active ? <Badge kind="live">Active</Badge> : <Badge kind="inactive">Deactivated</Badge>}</td>
      <td className="px-4 py-3 text-slate-600">{formatDateTime(user.created_at)}</td>
      <td className="px-4 py-3 text-right">
        {!self && (
          <Button size="sm" variant="ghost" busy={change.isPending} onClick={() => change.mutate({ is_active: !user.is_active })}>
            {user.is_active ? "Deactivate" : "Reactivate"}
          </Button>
        )}
      </td>
    </tr>
  );
}

function CreateUserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ email: "", name: "", role: "interviewer" as UserRole, password: "" });
  const create = useMutation({
    mutationFn: createUser,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: userKeys.all });
      setForm({ email: "", name: "", role: "interviewer", password: "" });
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(form);
  };
  return (
    <Modal open={open} title="Add user" onClose={onClose}>
      <form className="space-y-4" onSubmit={submit}>
        {create.error && <Alert>{create.error.message}</Alert>}
        <Field label="Name">
          {(id) => <input id={id} className={inputClass} required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
        </Field>
        <Field label="Email">
          {(id) => <input id={id} type="email" className={inputClass} required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />}
        </Field>
        <Field label="Role">
          {(id) => (
            <select id={id} className={inputClass} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as UserRole })}>
              <option value="interviewer">Interviewer</option>
              <option value="lead">Lead</option>
            </select>
          )}
        </Field>
        <Field label="Initial password" hint="At least 8 characters; they can change it in Settings.">
          {(id) => (
            <input id={id} type="password" autoComplete="new-password" className={inputClass} required value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
          )}
        </Field>
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={create.isPending}>Create user</Button>
        </div>
      </form>
    </Modal>
  );
}
