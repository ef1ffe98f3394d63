/** `YYYY-MM-DD` of `date` in UTC: how digest dates and source days are written everywhere. */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
