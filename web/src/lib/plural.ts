/** A count with its noun, agreeing: "1 hidden test", "2 hidden tests", "1 interview". */
export function plural(count: number, one: string, many: string = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
