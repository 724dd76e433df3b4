import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";

import { ApiError } from "./api/client";
import { roomQuery } from "./api/queries";
import { session } from "./api/session";
import "./index.css";
import { router } from "./router";
import { prefetchRoomPage } from "./roomChunk";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // Retrying a 4xx only delays the error the user needs to see.
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

// Fetch the room chunk alongside the sign-in check rather than after it, and the room itself
// while the chunk (Monaco) loads: the room page then renders with it at once.
if (window.location.pathname.startsWith("/rooms/")) prefetchRoomPage();
const roomPageId = /^\/rooms\/([^/]+)\/?$/.exec(window.location.pathname)?.[1];
void session.restore().then(() => {
  const kind = session.current.kind;
  if (roomPageId && (kind === "candidate" || kind === "user")) void queryClient.prefetchQuery(roomQuery(roomPageId));
});

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  );
}
