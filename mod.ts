// Public API: re-exports only (docs/design.md, "Audiences and layout").
export * from "./loader/register.ts";
