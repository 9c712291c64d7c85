/* The embedding page's configuration (window.jraChatConfig, docs/widget.md) and the
   conversation kept in the browser across page loads. */

var STORE_PREFIX = "jra-chat:";
var MAX_STORED_MESSAGES = 200;
var COLOR_PROPERTIES = {
  accent: "--jra-accent", accentText: "--jra-accent-text", background: "--jra-background",
  text: "--jra-text", userBubble: "--jra-user-bubble", botBubble: "--jra-bot-bubble", link: "--jra-link"
};

function readConfig() {
  var given = window.jraChatConfig || {};
  var container = typeof given.container === "string" ? document.querySelector(given.container) : given.container;
  return {
    serverUrl: String(given.serverUrl || DEFAULTS.serverUrl),
    language: normalizeLanguage(given.language),
    title: given.title || null,
    colors: given.colors || {},
    container: container instanceof Element ? container : null,  // none or not found: floating
    open: given.open === true,
    persist: ["local", "session", "none"].indexOf(given.persist) >= 0 ? given.persist : "session"
  };
}

function Store(kind, key) {
  var backend = null;
  try {
    backend = kind === "local" ? window.localStorage : kind === "session" ? window.sessionStorage : null;
  } catch (error) {
    backend = null;  // storage blocked by the browser's privacy settings: keep nothing
  }
  this.load = function () {
    try { return JSON.parse((backend && backend.getItem(key)) || "null"); } catch (error) { return null; }
  };
  this.save = function (value) {
    try { if (backend) { backend.setItem(key, JSON.stringify(value)); } } catch (error) { /* full: keep going */ }
  };
}

// Everything the widget keeps: the Rasa session id, the chosen language, whether the panel
// is open, and the last messages. Per tab by default, so a shared computer at a counter
// forgets the conversation when the tab is closed.
function loadState(config, store) {
  var saved = store.load() || {};
  var browserLanguage = (navigator.languages || [navigator.language]).map(normalizeLanguage).filter(Boolean)[0];
  return {
    sessionId: typeof saved.sessionId === "string" ? saved.sessionId : newSessionId(),
    language: normalizeLanguage(saved.language) || config.language || browserLanguage || "en",
    open: config.container ? true : (typeof saved.open === "boolean" ? saved.open : config.open),
    messages: Array.isArray(saved.messages) ? saved.messages.slice(-MAX_STORED_MESSAGES) : []
  };
}

function saveState(store, state) {
  store.save({
    sessionId: state.sessionId, language: state.language, open: state.open,
    messages: state.messages.slice(-MAX_STORED_MESSAGES)
  });
}
