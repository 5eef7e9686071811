// A set of options without the ones given as undefined (a flag not passed, a property left unset),
// so that spreading it over the defaults leaves those defaults standing.
export const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
