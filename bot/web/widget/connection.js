/* The widget's line to the Rasa server's socket.io channel (credentials.yml: `socketio` with
   user_uttered / bot_uttered and session_persistence). The session id is the Rasa sender id,
   so the conversation goes on after a reconnection or a page reload. */

// Split the socket.io server URL into origin and path: a path prefix (a reverse proxy's
// /rasa/) belongs to the socket.io path, not to the namespace.
function socketTarget(serverUrl) {
  var url = new URL(serverUrl, window.location.href);
  return { origin: url.origin, path: url.pathname.replace(/\/+$/, "") + "/socket.io" };
}

// `events`: message(data) for each bot_uttered, online() once the session is confirmed,
// offline() when the server cannot be reached (socket.io keeps retrying by itself).
function RasaConnection(serverUrl, sessionId, events) {
  var target = socketTarget(serverUrl);
  var confirmed = false;
  // WebSocket first: no cross-origin polling, no sticky sessions behind a load balancer;
  // long polling stays as the fallback for proxies that drop WebSocket upgrades.
  var socket = io(target.origin, {
    path: target.path, transports: ["websocket", "polling"], tryAllTransports: true, reconnectionDelayMax: 10000
  });
  socket.on("connect", function () { socket.emit("session_request", { session_id: sessionId }); });
  socket.on("session_confirm", function () {
    confirmed = true;
    events.online();
  });
  socket.on("bot_uttered", events.message);
  socket.on("connect_error", function () {
    confirmed = false;
    events.offline();
  });
  socket.on("disconnect", function (reason) {
    confirmed = false;
    if (reason === "io client disconnect") { return; }  // our own restart()
    events.offline();
    // socket.io retries by itself after a lost connection, not after the server's goodbye.
    if (reason === "io server disconnect") { socket.connect(); }
  });

  this.ready = function () { return confirmed; };

  this.send = function (text, language) {
    socket.emit("user_uttered", { message: text, session_id: sessionId, metadata: { language_code: language } });
  };

  // Start another Rasa conversation on a fresh socket (the old one's room is left behind).
  this.restart = function (newSessionId) {
    sessionId = newSessionId;
    socket.disconnect();
    socket.connect();
  };
}
