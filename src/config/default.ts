/**
 * The embedded default configuration: byte for byte the text of examples/cluster.ini (a unit test
 * compares them). Embedded rather than read at run time so an installed `steadfast` runs without
 * locating its own files. Edit examples/cluster.ini, then paste it here.
 */
export const DEFAULT_CONFIG_SOURCE = '(embedded default)';

export const DEFAULT_CONFIG_TEXT = `; steadfast cluster configuration: the built-in default.
;
; Every role (rm, gfd, lfd, server, client, cluster) reads the same file: the one given with
; --config FILE, else ./cluster.ini when there is one, else this file (it is built in).
; Lines starting with ; or # are comments, and so is anything after an unquoted ; or # on a
; value line: quote values that contain ; or #, as in  message = "a;b".
; Times are in seconds; decimals are allowed (0.5 = half a second).
; Names (the part after the dot in [server.S1]) match [A-Za-z0-9_-]{1,32}.

[cluster]
; replication style: passive (one primary answers, backups follow) or active (every replica answers)
mode = passive
; seconds from one heartbeat sent to the next (LFD to server, GFD to LFD)
heartbeat_freq = 1
; seconds without a heartbeat answer before a member is failed; must exceed heartbeat_freq
heartbeat_timeout = 3
; seconds between two checkpoints from the passive primary to its backups
checkpoint_freq = 5
; passive only: sync = reply after every backup has the request; checkpoint = reply at once (may lose the last seconds on failover)
durability = sync
; the replicated application: status (the state is one string), log (a list of entries), kv (a key-value map),
; or your own module: a path (relative to this file's folder) or a package name (docs/apps.md)
app = status
; largest frame, in bytes, accepted on a client-facing port (server port, RM port)
max_frame = 1048576
; largest frame, in bytes, accepted on a peer link, and the largest state a checkpoint or recovery
; carries (in parts; at most 1073741824); the state may grow to half of it
max_state_frame = 67108864
; the clients each replica remembers (last request number and reply, for exactly-once); the one
; heard from longest ago is forgotten first (docs/protocol.md, "The client table")
max_clients = 10000
; the control links' shared secret (16 characters or more; empty: none): every RM, GFD, LFD and server link
; proves it before it is trusted (docs/security.md). Or secret_file = a file only its owner may read.
secret =
; where replicas keep their log and snapshots, one folder per server (relative: to this file);
; empty: in memory only, and a whole-cluster crash loses the state (docs/durability.md)
data_dir =

[rm]
; the replication manager listens here for the GFD and for clients
host = 127.0.0.1
port = 7000

[gfd]
; the global fault detector listens here for the LFDs
host = 127.0.0.1
port = 7001

; One section per replica. Clients connect to port; its LFD and the other servers to peer_port.
[server.S1]
host = 127.0.0.1
port = 7101
peer_port = 7201

[server.S2]
host = 127.0.0.1
port = 7102
peer_port = 7202

[server.S3]
host = 127.0.0.1
port = 7103
peer_port = 7203

; One local fault detector per server: it launches that server (on the server's host) and watches it.
[lfd.LFD1]
server = S1

[lfd.LFD2]
server = S2

[lfd.LFD3]
server = S3

; Clients (used by the client command only; servers take requests from any valid client name).
; interval: seconds between requests; message: request n carries message followed by n.
[client.C1]
interval = 1
message = hello_world

[client.C2]
interval = 1
message = hello_world

[client.C3]
interval = 1
message = hello_world
`;
