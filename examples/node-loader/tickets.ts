// A module-level counter. The host would count 1, 2, 3...; each workflow run has its own
// instance of this module, so every run starts from zero.
let issued = 0;

export function nextTicket(): number {
  return ++issued;
}
