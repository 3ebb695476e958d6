// The one definition editor every kind's page is built from (shared by the
// definitions and templates features).
export { DefinitionEditor, type DefinitionEditorProps } from './DefinitionEditor';
export { CodeField } from './CodeField';
export { DiffView, DriftFacts, RestoreRepo, SaveBar, SourceBadge, VersionHistory } from './DefinitionParts';
export { useDefinitionDraft, type DefinitionDraft } from './useDefinitionDraft';
export { describeProblem, diffLines, offsetOf } from './text';
export * from './api';
