/**
 * Query parameters as Marketo reads a list: every occurrence of the name counts, each a
 * comma-separated list (`activityTypeIds=1&activityTypeIds=6` and `activityTypeIds=1,6` are the
 * same). Blank entries are dropped; undefined when the parameter is absent or blank.
 */
export function listParam(params: URLSearchParams, name: string): string[] | undefined {
  const values = params
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return values.length > 0 ? values : undefined;
}

/** {@link listParam} as numbers (a non-number is NaN, for the caller to reject). */
export function idListParam(params: URLSearchParams, name: string): number[] | undefined {
  return listParam(params, name)?.map(Number);
}
