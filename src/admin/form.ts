/** Reading urlencoded form bodies (@fastify/formbody): strings, lists, numbers, checkboxes. */

/** One field as a string ('' when absent; the first value when repeated). */
export function field(body: unknown, name: string): string {
  const v = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : '';
  return typeof v === 'string' ? v : '';
}

/** A textarea or input holding several values, one per line or separated by commas or spaces. */
export function lines(body: unknown, name: string): string[] {
  return field(body, name)
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * A number field: undefined when empty (the schema's default applies), NaN when not a number, so
 * the schema reports it under the field's key rather than the form guessing a value.
 */
export function num(body: unknown, name: string): number | undefined {
  const s = field(body, name).trim();
  return s === '' ? undefined : Number(s);
}

/** A checkbox: browsers send it only when ticked. */
export function checked(body: unknown, name: string): boolean {
  return field(body, name) !== '';
}
