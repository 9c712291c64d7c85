/* Helpers of the chat widget without state: languages, links, elements. The first of the
   widget's files in the bundle (bot/web/bundle.py), which puts LANGUAGES (bot/languages.py)
   before it. Kept ASCII-only, like the whole bundle, so that a page in Shift_JIS or EUC-JP
   that saves and serves the file cannot garble it. */

// Bare links: ASCII URL characters only, so "...index.html\u3002" or "\uff08https://...\uff09" end the link.
var LINK_PATTERN = /\[([^\]\n]{1,300})\]\((https?:\/\/[^\s()<>]+)\)|https?:\/\/[A-Za-z0-9\-._~:\/?#@!$&'*+,;=%]+/g;

function normalizeLanguage(code) {
  var base = String(code || "").trim().toLowerCase().replace("_", "-").split("-")[0];
  return LANGUAGES.indexOf(base) >= 0 ? base : null;
}

// Guess the language of one message, for its `lang` attribute: fonts, line breaking and
// screen-reader pronunciation depend on it (Japanese and Chinese share Han characters).
function guessLanguage(text, fallback) {
  if (/[\u3040-\u30ff]/.test(text)) { return "ja"; }
  if (/[\u4e00-\u9fff]/.test(text)) { return "zh"; }
  if (/[\u0456\u0457\u0454\u0491\u0406\u0407\u0404\u0490]/.test(text)) { return "uk"; }
  if (/[\u044b\u044d\u044a\u0451\u042b\u042d\u042a\u0401]/.test(text)) { return "ru"; }
  if (/[\u0400-\u04ff]/.test(text)) { return fallback === "uk" ? "uk" : "ru"; }
  if (/[A-Za-z]/.test(text)) { return "en"; }
  return fallback;
}

function safeUrl(candidate) {
  try {
    var url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (error) {
    return null;
  }
}

// Append text with its http(s) links (bare or Markdown) as links and everything else as text
// nodes; the screen-reader note on each link is filled in by the widget's translate().
function appendRichText(parent, text) {
  var last = 0;
  var match;
  LINK_PATTERN.lastIndex = 0;
  while ((match = LINK_PATTERN.exec(text)) !== null) {
    var raw = match[2] || match[0].replace(/[.,;:!?']+$/, "");
    var href = safeUrl(raw);
    if (!href) { continue; }
    parent.appendChild(document.createTextNode(text.slice(last, match.index)));
    var link = element("a", "", { href: href, target: "_blank", rel: "noopener noreferrer" });
    link.textContent = match[1] || raw;
    link.appendChild(element("span", "sr", { "data-t": "newTab" }));
    parent.appendChild(link);
    last = match.index + (match[1] ? match[0].length : raw.length);
    LINK_PATTERN.lastIndex = last;
  }
  parent.appendChild(document.createTextNode(text.slice(last)));
}

function newSessionId() {
  if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID().replace(/-/g, ""); }
  var bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
}

function element(tag, className, attributes) {
  var node = document.createElement(tag);
  if (className) { node.className = className; }
  Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
  return node;
}
