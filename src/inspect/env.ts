/**
 * The environment variable through which a process running a hub (`steadfast cluster --inspect`,
 * an LFD with `--inspect`) tells the role processes it starts where to stream their records. Its own
 * module, without imports, so that reading it loads nothing of the inspector.
 */
export const SINK_ENV = 'STEADFAST_INSPECT_SINK';
