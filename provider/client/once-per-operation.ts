/**
 * What one operation asks of an instance once: an answer per client and key.
 *
 * A client lives for one operation (a provider process serves one `up` or `preview`), so an answer hung off it never
 * outlives the operation: the check and the refresh of one `preview --refresh` share it, the next operation asks
 * again. A failed answer is forgotten, so the next caller asks again too.
 */
export class OncePerOperation<T> {
    private readonly known = new WeakMap<object, Map<string, Promise<T>>>();

    /** The answer for `key` on `client`, loaded by `load` the first time it is asked for. */
    get(client: object, key: string, load: () => Promise<T>): Promise<T> {
        let perClient = this.known.get(client);
        if (!perClient) {
            perClient = new Map();
            this.known.set(client, perClient);
        }
        let answer = perClient.get(key);
        if (!answer) {
            const forget = perClient;
            answer = load();
            forget.set(key, answer);
            answer.catch(() => forget.delete(key));
        }
        return answer;
    }
}
