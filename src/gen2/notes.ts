/**
 * What the export could not carry over as it was, and what to do about it.
 * INFO: carried over in another form, nothing to do. WARNING: the Gen 2 backend behaves
 * differently until you act (set a secret, copy data, add an override). ERROR: the generated files
 * cannot be deployed as they are (a placeholder to fill in, a resource left unwired).
 */
export const Gen2Severity = { INFO: 'INFO', WARNING: 'WARNING', ERROR: 'ERROR' } as const;
export type Gen2Severity = (typeof Gen2Severity)[keyof typeof Gen2Severity];

export interface Gen2Note {
  /** The Gen 1 resource the note is about: `auth/<name>`, `api/<name>`, `storage/<name>`, or `backend`. */
  resource: string;
  severity: Gen2Severity;
  message: string;
}

export interface Gen2File {
  /** Relative, under `amplify/`, with `/` separators. */
  path: string;
  contents: string;
}

export const note = (resource: string, severity: Gen2Severity, message: string): Gen2Note => ({ resource, severity, message });

/** How to set a Gen 2 secret in a sandbox and for a branch. */
export const setSecret = (name: string) =>
  `\`npx ampx sandbox secret set ${name}\` (for a branch deployment: Amplify console, Hosting > Secrets)`;
