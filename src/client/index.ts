/** `steadfast/client`: connect to a steadfast cluster and send it requests. */
export { connect, type Answer, type Client, type ConnectOptions, type RequestOptions } from './connect.js';
export { AppError, ClosedError, TimeoutError } from './errors.js';
