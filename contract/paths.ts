/**
 * Default paths both sides agree on (DESIGN.md §4, §5). ipamd's sockets live in one directory of
 * its own (0700, ipamd's alone): the gRPC socket (VPCWIRE_SOCKET) and, next to it, the plugin's
 * (plugin-protocol.ts), whose path the installer writes into the plugin's configuration as `socket`.
 */

/** ipamd's gRPC socket: stock clients, health probes, `vpcwire status`. */
export const DEFAULT_GRPC_SOCKET = '/run/vpcwire/ipamd.sock';
/** The plugin protocol's socket is always this name in the gRPC socket's directory. */
export const PLUGIN_SOCKET_NAME = 'plugin.sock';
export const DEFAULT_PLUGIN_SOCKET = '/run/vpcwire/plugin.sock';
/** Where the plugin's DEL leaves release notes when ipamd cannot be reached (release-note.ts). */
export const DEFAULT_RELEASE_NOTES_DIR = '/var/lib/vpcwire/release-notes';

/** The plugin socket next to a gRPC socket (an absolute path): same directory, PLUGIN_SOCKET_NAME. */
export const pluginSocketPath = (grpcSocket: string): string =>
  `${grpcSocket.slice(0, grpcSocket.lastIndexOf('/') + 1)}${PLUGIN_SOCKET_NAME}`;
