/**
 * Shared helpers for the emulator conformance suite: start an emulator on 127.0.0.1:0 and call it.
 */
import { type EmulatorOptions, type RunningEmulator, startEmulator } from "../../emulator/index";

/** A response with its body decoded. */
export interface Reply {
    status: number;
    headers: Headers;
    text: string;
    /** Parsed JSON body, or undefined when the body is empty or not JSON. */
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field by the assertions.
    json: any;
}

/** Options of {@link call}. */
export interface CallOptions {
    method?: string;
    /** `user:password` for Basic auth; `null` sends no Authorization header. */
    basic?: string | null;
    bearer?: string;
    body?: unknown;
    headers?: Record<string, string>;
}

/** Calls an emulator URL (admin:admin Basic auth unless told otherwise). */
export async function call(baseUrl: string, path: string, opts: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
    if (opts.bearer) headers.Authorization = `Bearer ${opts.bearer}`;
    else if (opts.basic !== null)
        headers.Authorization = `Basic ${Buffer.from(opts.basic ?? "admin:admin").toString("base64")}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
        body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
        headers["Content-Type"] ??= "application/json";
    }
    const res = await fetch(`${baseUrl}${path}`, { method: opts.method ?? "GET", headers, body });
    const text = await res.text();
    let json: unknown;
    try {
        json = text ? JSON.parse(text) : undefined;
    } catch {
        json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
}

/** Starts an emulator with small seeds unless told otherwise; remember to stop it in after(). */
export function start(opts: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
    return startEmulator({ instances: [{ name: "prod" }], users: 200, jobs: 60, ...opts });
}

/** The base URL of an instance. */
export function urlOf(emu: RunningEmulator, name = "prod"): string {
    return emu.instances.get(name)!.url;
}
