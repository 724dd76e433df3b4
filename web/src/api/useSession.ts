import { useSyncExternalStore } from "react";

import { session, type SessionState } from "./session";

/** The tab's identity, re-rendering when it changes. */
export function useSession(): SessionState {
  return useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.current,
  );
}
