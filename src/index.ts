import { createApp } from "./app";

export { SessionLedger } from "./sessions/session-ledger";

export default createApp();
