/** Interviewers' private notes: TipTap on the room's `notes` doc, with each other's carets. */
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import { EditorContent, useEditor } from "@tiptap/react";
import StarterKit from "@tiptap/starter-kit";

import type { AwarenessUser, RoomDoc } from "../realtime/ydoc";

export function NotesPanel({ roomDoc, user }: { roomDoc: RoomDoc; user: AwarenessUser }) {
  const editor = useEditor(
    {
      extensions: [
        // Yjs keeps the undo history per person; TipTap's own would undo others' typing.
        StarterKit.configure({ undoRedo: false }),
        Collaboration.configure({ document: roomDoc.doc, field: "default" }),
        CollaborationCaret.configure({ provider: roomDoc.provider, user: { name: user.name, color: user.color } }),
      ],
      editorProps: {
        attributes: { "aria-label": "Interview notes", "data-testid": "notes-editor", class: "h-full" },
      },
    },
    [roomDoc],
  );
  return (
    <div className="flex h-full flex-col">
      <div className="flex items-center gap-1 border-b border-slate-200 px-2 py-1.5">
        <ToolbarButton label="Bold" active={editor?.isActive("bold")} onClick={() => editor?.chain().focus().toggleBold().run()}>
          <strong>B</strong>
        </ToolbarButton>
        <ToolbarButton label="Italic" active={editor?.isActive("italic")} onClick={() => editor?.chain().focus().toggleItalic().run()}>
          <em>I</em>
        </ToolbarButton>
        <ToolbarButton label="Heading" active={editor?.isActive("heading")} onClick={() => editor?.chain().focus().toggleHeading({ level: 2 }).run()}>
          H
        </ToolbarButton>
        <ToolbarButton label="Bullet list" active={editor?.isActive("bulletList")} onClick={() => editor?.chain().focus().toggleBulletList().run()}>
          •
        </ToolbarButton>
        <span className="ml-auto text-[11px] text-slate-400">Only interviewers see these notes</span>
      </div>
      <EditorContent editor={editor} className="notes-editor min-h-0 flex-1 overflow-auto bg-white text-slate-800" />
    </div>
  );
}

function ToolbarButton({ label, active, onClick, children }: { label: string; active?: boolean; onClick: () => void; children: React.ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      aria-pressed={active ?? false}
      onClick={onClick}
      className={`h-7 w-7 rounded text-sm ${active ? "bg-slate-200 text-slate-900" : "text-slate-600 hover:bg-slate-100"}`}
    >
      {children}
    </button>
  );
}
