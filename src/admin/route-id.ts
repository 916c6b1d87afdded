/** The numeric id in a route such as `/queue/:id` or `/api/duplicates/:id/release`. */
export type IdParams = { Params: { id: string } };

/** A positive integer id from the route, or null (the caller answers "not found"). */
export function parseId(raw: string): number | null {
  const id = Number(raw);
  return Number.isInteger(id) && id > 0 ? id : null;
}
