/** The room page's chunk (Monaco and friends), loaded on demand and started as early as useful. */
export const loadRoomPage = () => import("./room/RoomPage");

/** Starts fetching the room chunk, e.g. when a room link is pointed at; safe to call often. */
export function prefetchRoomPage(): void {
  void loadRoomPage();
}
