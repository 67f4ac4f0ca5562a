// The workflow-authoring API, lighter than the full package.
export {};
