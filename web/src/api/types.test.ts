/** The helpers that tie the client's REST types to the generated schema. These are checked by
 * `tsc` (`npm run check`): a wrong type here is a compile error, not a failed test. */
import { describe, expectTypeOf, it } from "vitest";

import type { Person, Refine, Reply, Room, CandidateRoom, Same, Schema } from "./types";

describe("REST types from the schema", () => {
  it("reads an unnamed reply by path and method", () => {
    expectTypeOf<Reply<"/api/directory">>().toEqualTypeOf<Person[]>();
    expectTypeOf<Reply<"/api/rooms/{room_id}">>().toEqualTypeOf<Room | CandidateRoom>();
    expectTypeOf<Reply<"/api/rooms", "post">>().toEqualTypeOf<Room>();
    // 204 No Content
    expectTypeOf<Reply<"/api/rooms/{room_id}", "delete">>().toEqualTypeOf<undefined>();
    // A method the path does not have.
    expectTypeOf<Reply<"/api/directory", "put">>().toBeNever();
  });

  it("refines only fields the schema has", () => {
    type Narrow = Refine<Schema<"Author">, { role: "lead" }>;
    expectTypeOf<Narrow["role"]>().toEqualTypeOf<"lead">();
    expectTypeOf<Narrow["name"]>().toEqualTypeOf<string>();
    // @ts-expect-error: `rol` is not a field of Author, so a renamed field cannot linger.
    type Stale = Refine<Schema<"Author">, { rol: "lead" }>;
    expectTypeOf<Stale>().not.toBeNever();
  });

  it("compares value sets", () => {
    expectTypeOf<Same<"a" | "b", "b" | "a">>().toEqualTypeOf<true>();
    expectTypeOf<Same<"a", "a" | "b">>().toEqualTypeOf<false>();
  });
});
