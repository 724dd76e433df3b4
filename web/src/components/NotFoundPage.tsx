import { Link } from "react-router";

import { Logo } from "./AppShell";
import { useTitle } from "../lib/useTitle";

export function NotFoundPage() {
  useTitle("Page not found");
  return (
    <div className="flex min-h-full flex-col items-center justify-center gap-4 p-8 text-center">
      <Logo />
      <h1 className="text-2xl font-semibold text-slate-900">Page not found</h1>
      <p className="text-sm text-slate-500">The address may be mistyped, or the page has moved.</p>
      <Link to="/" className="text-sm font-medium text-indigo-600 hover:text-indigo-500">
        Go to your interviews
      </Link>
    </div>
  );
}
