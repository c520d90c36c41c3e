import { FasEdgeClient, FasEdgeError, FasEdgeProblemError, type FasEdgeClientOptions } from "../../client/index";

/**
 * The pages' API key and how they report refusals. The key is found, in order, in the page's
 * `<meta name="fas-edge-api-key">` (the local development key, served only to loopback hosts),
 * in localStorage (a key that has worked in this browser for a page needing the same scope), or
 * in the key field, which is shown while the page has no key or the service refuses the one it
 * has. The key is never logged or shown.
 */

/** The localStorage entry of the key that last worked in this browser for pages needing `scope`. */
const storageEntry = (scope: string) => `fas-edge:api-key:${scope}`;

/**
 * The one entry that earlier versions of the pages kept for every scope: read by a page that has
 * no entry of its own, and copied into the page's entry once the service accepts the key there.
 */
const LEGACY_STORAGE_ENTRY = "fas-edge:api-key";

/** Problems about the key itself; a session's own 401, 403 and 409 are not among them. */
const KEY_PROBLEMS = new Set(["missing-api-key", "invalid-api-key", "revoked-api-key", "missing-scope"]);

/** Refusals after which a stored key is dropped: it will never work again. A key without a scope may still serve the other page. */
const DEAD_KEY_PROBLEMS = new Set(["invalid-api-key", "revoked-api-key"]);

type KeySource = "page" | "stored" | "legacy" | "entered";

export interface PageAccessOptions {
  /** Client settings other than the key. */
  readonly client: Omit<FasEdgeClientOptions, "apiKey">;
  /** The scope the page's calls need, named in the key field's messages. */
  readonly scope: string;
  /** Called after a key has been entered in the field. */
  readonly onEntered: () => void;
}

/** Whether `error` is the service refusing the key (401 or 403 with a key problem type). */
export function isKeyProblem(error: unknown): error is FasEdgeProblemError {
  return error instanceof FasEdgeProblemError && (error.status === 401 || error.status === 403) && KEY_PROBLEMS.has(error.slug);
}

/** The time a 429 asks to wait until, milliseconds since the epoch (60 s on when it did not say); undefined for anything else. */
export function retryAt(error: unknown, now: number = Date.now()): number | undefined {
  if (!(error instanceof FasEdgeProblemError) || error.status !== 429) return undefined;
  return now + 1000 * (error.retryAfterS ?? 60);
}

/** A sentence for a failed call: the problem's title, detail and status; for a 429, when to retry. */
export function describeError(error: unknown, now: number = Date.now()): string {
  if (error instanceof FasEdgeProblemError) {
    const what = `${error.problem.title}${error.problem.detail ? `: ${error.problem.detail}` : ""} (HTTP ${error.status})`;
    if (error.status === 429) return `${what}. ${retryText(retryAt(error, now) ?? now, now)}`;
    if (isKeyProblem(error)) return `${error.slug === "missing-scope" ? "This API key may not do this." : "The API key was refused."} ${what}.`;
    return what;
  }
  if (error instanceof FasEdgeError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** "Try again in 42 s (at 14:02:31)." */
export function retryText(at: number, now: number = Date.now()): string {
  const seconds = Math.max(1, Math.ceil((at - now) / 1000));
  return `Try again in ${seconds} s (at ${new Date(at).toLocaleTimeString("en-GB")}).`;
}

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

function stored(entry: string): string | undefined {
  try {
    return storage()?.getItem(entry) || undefined;
  } catch {
    return undefined;
  }
}

function store(entry: string, key: string | undefined): void {
  try {
    if (key === undefined) storage()?.removeItem(entry);
    else storage()?.setItem(entry, key);
  } catch {
    // storage full or disabled: the key lasts as long as the page
  }
}

/** The page's key, its client and the key field (#key-panel, see src/pages/html.ts). */
export class PageAccess {
  readonly #options: PageAccessOptions;
  readonly #panel = byId<HTMLElement>("key-panel");
  readonly #message = byId<HTMLParagraphElement>("key-message");
  readonly #form = byId<HTMLFormElement>("key-form");
  readonly #input = byId<HTMLInputElement>("key-input");
  #key: string | undefined;
  #source: KeySource | undefined;
  #client: FasEdgeClient | undefined;

  constructor(options: PageAccessOptions) {
    this.#options = options;
    const meta = document.querySelector<HTMLMetaElement>('meta[name="fas-edge-api-key"]')?.content || undefined;
    const kept = stored(storageEntry(options.scope));
    const legacy = kept ? undefined : stored(LEGACY_STORAGE_ENTRY);
    if (meta) this.#use(meta, "page");
    else if (kept) this.#use(kept, "stored");
    else if (legacy) this.#use(legacy, "legacy");
    else this.prompt(`This page needs an API key with the “${options.scope}” scope.`);
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      const key = this.#input.value.trim();
      if (!key) {
        this.#input.focus();
        return;
      }
      this.#input.value = "";
      this.#use(key, "entered");
      this.#message.textContent = "Trying this key…";
      this.#options.onEntered();
    });
  }

  /** A client that sends the page's key, or undefined while there is none (the key field is shown). */
  get client(): FasEdgeClient | undefined {
    return this.#client;
  }

  /**
   * After a call that the service answered: a key entered in the field (or found in the earlier
   * shared entry) is kept in this browser for this page's scope, and the field goes away.
   */
  succeeded(): void {
    if ((this.#source === "entered" || this.#source === "legacy") && this.#key !== undefined) {
      store(storageEntry(this.#options.scope), this.#key);
      this.#source = "stored";
    }
    this.#panel.hidden = true;
  }

  /**
   * After a failed call: when the service refused the key, shows the key field with the reason
   * (and forgets a stored key that can never work again) and returns true.
   */
  refused(error: unknown, options: { focus?: boolean } = {}): boolean {
    if (!isKeyProblem(error)) return false;
    if (DEAD_KEY_PROBLEMS.has(error.slug)) {
      if (this.#source === "stored") store(storageEntry(this.#options.scope), undefined);
      if (this.#source === "legacy") store(LEGACY_STORAGE_ENTRY, undefined);
    }
    const advice = error.slug === "missing-scope" ? `Enter a key with the “${this.#options.scope}” scope.` : "Enter a valid key.";
    this.prompt(`${describeError(error)} ${advice}`, options);
    this.#panel.dataset.problem = error.slug;
    return true;
  }

  /** Shows the key field with `message`. */
  prompt(message: string, options: { focus?: boolean } = {}): void {
    this.#message.textContent = message;
    delete this.#panel.dataset.problem;
    this.#panel.hidden = false;
    if (options.focus) this.#input.focus();
  }

  #use(key: string, source: KeySource): void {
    this.#key = key;
    this.#source = source;
    this.#client = new FasEdgeClient({ ...this.#options.client, apiKey: key });
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}
