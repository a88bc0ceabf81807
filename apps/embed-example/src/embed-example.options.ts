/** Options of the embedding example host. */
export interface EmbedExampleOptions {
  databaseUrl: string;
  /** Signs viewer tokens and cursors: the same on every instance, at least 32 characters. */
  secret: string;
  /** The org whose log the demo user sees. */
  org: string;
  /** The React page's bundle (built by esbuild from web/react/main.jsx). */
  reactBundle: string;
  /** Pages of other origins that may embed the viewer (CORS). */
  allowedOrigins?: string[];
}

export const EMBED_EXAMPLE_OPTIONS = Symbol('EMBED_EXAMPLE_OPTIONS');
