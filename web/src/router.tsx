/** Routes. The room page (Monaco, TipTap, WebRTC) is a lazy chunk: sign-in and the dashboard stay small. */
import { lazy, Suspense } from "react";
import { createBrowserRouter } from "react-router";

import { AppShell, RequireUser } from "./components/AppShell";
import { FullPageSpinner } from "./components/ui";
import { AdminUsersPage } from "./pages/AdminUsersPage";
import { AuditPage } from "./pages/AuditPage";
import { DashboardPage } from "./pages/DashboardPage";
import { WebhooksPage } from "./integrations/WebhooksPage";
import { JoinPage } from "./pages/JoinPage";
import { LoginPage } from "./pages/LoginPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { SettingsPage } from "./pages/SettingsPage";
import { ScorecardPage } from "./scorecards/ScorecardPage";
import { QuestionBankPage } from "./questions/QuestionBankPage";
import { loadRoomPage } from "./roomChunk";

const RoomPage = lazy(loadRoomPage);

export const router = createBrowserRouter([
  { path: "/login", element: <LoginPage /> },
  { path: "/join/:inviteToken", element: <JoinPage /> },
  {
    // The replay brings Monaco too: a chunk of its own, loaded by the router rather than
    // behind Suspense, whose fallback holds the page back at least 300 ms once shown
    // (React's reveal throttle): a third of the time to a usable replay.
    path: "/rooms/:roomId/replay",
    lazy: async () => ({ Component: (await import("./record/ReplayPage")).default }),
    hydrateFallbackElement: <FullPageSpinner label="Loading the replay…" />,
  },
  {
    path: "/rooms/:roomId",
    element: (
      <Suspense fallback={<FullPageSpinner label="Opening the interview room…" />}>
        <RoomPage />
      </Suspense>
    ),
  },
  {
    element: (
      <RequireUser>
        <AppShell />
      </RequireUser>
    ),
    children: [
      { path: "/", element: <DashboardPage /> },
      { path: "/settings", element: <SettingsPage /> },
      { path: "/rooms/:roomId/scorecard", element: <ScorecardPage /> },
      { path: "/questions", element: <QuestionBankPage /> },
      { path: "/admin/users", element: <AdminUsersPage /> },
      { path: "/admin/webhooks", element: <WebhooksPage /> },
      { path: "/admin/audit", element: <AuditPage /> },
    ],
  },
  { path: "*", element: <NotFoundPage /> },
]);
