/** Routes. The room page (Monaco, TipTap, WebRTC) is a lazy chunk: sign-in and the dashboard stay small. */
import { lazy, Suspense } from "react";
import { createBrowserRouter } from "react-router";

import { AdminUsersPage } from "./accounts/AdminUsersPage";
import { LoginPage } from "./accounts/LoginPage";
import { SettingsPage } from "./accounts/SettingsPage";
import { AppShell, RequireUser } from "./components/AppShell";
import { NotFoundPage } from "./components/NotFoundPage";
import { FullPageSpinner } from "./components/ui";
import { WebhooksPage } from "./integrations/WebhooksPage";
import { DashboardPage } from "./interviews/DashboardPage";
import { InvitePage } from "./assessments/StartPage";
import { AuditPage } from "./operations/AuditPage";
import { QuestionBankPage } from "./questions/QuestionBankPage";
import { ScorecardPage } from "./reports/ScorecardPage";
import { loadRoomPage } from "./roomChunk";

const RoomPage = lazy(loadRoomPage);

export const router = createBrowserRouter([
  { path: "/login", element: <LoginPage /> },
  { path: "/join/:inviteToken", element: <InvitePage /> },
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
