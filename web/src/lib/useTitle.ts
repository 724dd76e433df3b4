import { useEffect } from "react";

/** Sets the tab's title while the page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    const previous = document.title;
    document.title = title ? `${title} · CodePair` : "CodePair";
    return () => {
      document.title = previous;
    };
  }, [title]);
}
