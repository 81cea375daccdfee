import type { Server } from "node:http";
import type { Socket } from "node:net";

/**
 * Tracks a server's connections so shutdown can close every one that is not serving a request.
 * Node's own `closeIdleConnections` leaves alone a connection that was opened but has not sent a
 * request yet (HTTP clients such as undici open one right after an aborted request, e.g. a
 * gateway stopping its revocations long poll), so `close()` would wait for the headers timeout,
 * a minute, before finishing.
 */
export function trackConnections(server: Server): { closeIdle(): void } {
  const busy = new Map<Socket, number>();
  server.on("connection", (socket: Socket) => {
    busy.set(socket, 0);
    socket.once("close", () => busy.delete(socket));
  });
  server.on("request", (req, res) => {
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once("close", () => {
      if (busy.has(socket)) busy.set(socket, Math.max(0, (busy.get(socket) ?? 1) - 1));
    });
  });
  return {
    closeIdle() {
      for (const [socket, n] of busy) if (n === 0) socket.destroy();
    },
  };
}
