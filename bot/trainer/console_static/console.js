/* The trainer console's page (bot/trainer/console.py serves it and its JSON API).
 *
 * Every text that comes from a user, the bot, the data or the server is put into the page with
 * textContent (never innerHTML), so a message containing <script> is shown as text.
 * State-changing requests carry the session's CSRF token in the X-CSRF-Token header.
 */
"use strict";

(function () {
  const TEXTS = {
    en: {
      title: "Trainer console",
      logout: "Log out",
      loginTitle: "Log in",
      loginHelp: "Type the token your maintainer gave you.",
      token: "Token",
      login: "Log in",
      wrongToken: "This token is not right. Check it and try again.",
      tooMany: "Too many wrong tries. Wait a few minutes, then try again.",
      inboxTitle: "Messages the bot did not understand",
      inboxHelp: "For each message: choose the topic it is about, or mark it as out of scope, or dismiss it.",
      languageFilter: "Language",
      allLanguages: "All languages",
      refresh: "Refresh",
      inboxEmpty: "The inbox is empty: nothing to label.",
      inboxCount: "Messages to look at: {count}.",
      predicted: "the bot guessed",
      noGuess: "no guess (fallback)",
      times: "{count}×",
      lastSeen: "last seen {when}",
      confidence: "confidence {value}",
      botReplied: "The bot replied:",
      noReply: "(no reply recorded)",
      labelButton: "Choose the topic…",
      outOfScope: "Out of scope",
      dismiss: "Dismiss",
      pickerLabel: "Find a topic (type to filter, Enter picks the first)",
      suggested: "the bot's guess",
      checkTitle: "Data check for this example",
      checking: "Checking…",
      checkClean: "No problems found. You can save it.",
      blocking: "cannot be saved",
      warning: "note",
      save: "Save as “{intent}”",
      cancel: "Cancel",
      saved: "Saved in {file}.",
      dismissed: "Dismissed.",
      modelTitle: "Model",
      modelHelp: "After you have labelled messages, retrain the model and compare it with the live one. Nothing changes for users until you accept it.",
      liveModel: "Live model",
      previousModel: "Previous model",
      none: "none",
      retrain: "Retrain and evaluate",
      stage_starting: "Starting",
      stage_training: "Training the new model",
      stage_evaluating_live: "Testing the live model",
      stage_evaluating_candidate: "Testing the new model",
      stage_done: "Finished",
      stage_failed: "Failed",
      progress: "{stage}: {percent} %",
      retrainFailed: "Retraining failed: {error}",
      resultsTitle: "Intent accuracy on the test messages: before and after",
      resultsSummary: "New model {candidate}, trained in {training} s; tests took {evaluation} s. {changed} test messages changed their answer.",
      sameModel: "The data did not change: the new model is the live model.",
      colSet: "Test set",
      colLanguage: "Language",
      colMessages: "Messages",
      colBefore: "Before (live)",
      colAfter: "After (new)",
      colChange: "Change",
      colText: "Message",
      colExpected: "Right topic",
      changedTitle: "Messages whose answer changed",
      changedHelp: "These are test messages. Do not copy them into the training data: they measure how the bot meets new people.",
      noChanges: "No test message changed its answer.",
      legendBefore: "before (live model)",
      legendAfter: "after (new model)",
      accept: "Accept: make the new model live",
      rollback: "Go back to the previous model",
      accepted: "The new model is live: {model}.",
      wentBack: "Back to the previous model: {model}.",
      serversNote: "Rasa server: {lines}",
      failed: "Something went wrong: {error}",
      loggedOut: "Your session ended. Please log in again.",
      reason_fallback: "not understood",
      reason_clarification: "asked “which do you mean?”",
      reason_low_confidence: "unsure",
      reason_thumbs_down: "👎 from the user",
      reason_not_what_i_asked: "“not what I asked”",
      reason_cancelled_flow: "flow cancelled",
    },
    ja: {
      title: "トレーナー用 画面",
      logout: "ログアウト",
      loginTitle: "ログイン",
      loginHelp: "管理者から もらった トークンを 入力して ください。",
      token: "トークン",
      login: "ログイン",
      wrongToken: "トークンが ちがいます。もう一度 確認して ください。",
      tooMany: "まちがいが 多すぎます。数分 待ってから もう一度 ためして ください。",
      inboxTitle: "ボットが 分からなかった メッセージ",
      inboxHelp: "メッセージごとに、話題を えらぶか、「対象外」に するか、「消す」を えらんで ください。",
      languageFilter: "言語",
      allLanguages: "すべての 言語",
      refresh: "更新",
      inboxEmpty: "メッセージは ありません。",
      inboxCount: "見る メッセージが {count}件 あります。",
      predicted: "ボットの 予想",
      noGuess: "予想なし（分からない）",
      times: "{count}回",
      lastSeen: "最後: {when}",
      confidence: "自信 {value}",
      botReplied: "ボットの 返事:",
      noReply: "（返事の 記録なし）",
      labelButton: "話題を えらぶ…",
      outOfScope: "対象外",
      dismiss: "消す",
      pickerLabel: "話題を さがす（入力で しぼる、Enterで 最初を えらぶ）",
      suggested: "ボットの 予想",
      checkTitle: "この 例文の データチェック",
      checking: "チェック中…",
      checkClean: "問題は ありません。保存 できます。",
      blocking: "保存 できません",
      warning: "注意",
      save: "「{intent}」として 保存",
      cancel: "やめる",
      saved: "{file} に 保存しました。",
      dismissed: "消しました。",
      modelTitle: "モデル",
      modelHelp: "ラベルを つけたら、モデルを 学習しなおして、今の モデルと くらべます。「採用」を おすまで、利用者には 何も 変わりません。",
      liveModel: "今の モデル",
      previousModel: "前の モデル",
      none: "なし",
      retrain: "学習しなおして 評価する",
      stage_starting: "開始",
      stage_training: "新しい モデルを 学習中",
      stage_evaluating_live: "今の モデルを テスト中",
      stage_evaluating_candidate: "新しい モデルを テスト中",
      stage_done: "おわりました",
      stage_failed: "失敗しました",
      progress: "{stage}: {percent} %",
      retrainFailed: "学習に 失敗しました: {error}",
      resultsTitle: "テスト メッセージでの 正解率: 前と 後",
      resultsSummary: "新しい モデル {candidate}。学習 {training} 秒、テスト {evaluation} 秒。答えが 変わった テスト メッセージ: {changed}件。",
      sameModel: "データが 変わっていません。新しい モデルは 今の モデルと 同じです。",
      colSet: "テスト セット",
      colLanguage: "言語",
      colMessages: "件数",
      colBefore: "前（今の モデル）",
      colAfter: "後（新しい モデル）",
      colChange: "変化",
      colText: "メッセージ",
      colExpected: "正しい 話題",
      changedTitle: "答えが 変わった メッセージ",
      changedHelp: "これは テスト用の メッセージです。学習データに コピーしないで ください。",
      noChanges: "答えが 変わった テスト メッセージは ありません。",
      legendBefore: "前（今の モデル）",
      legendAfter: "後（新しい モデル）",
      accept: "採用: 新しい モデルを 使う",
      rollback: "前の モデルに もどす",
      accepted: "新しい モデルを 使っています: {model}",
      wentBack: "前の モデルに もどしました: {model}",
      serversNote: "Rasa サーバー: {lines}",
      failed: "エラーが おきました: {error}",
      loggedOut: "ログインが 切れました。もう一度 ログイン して ください。",
      reason_fallback: "分からなかった",
      reason_clarification: "「どちらですか」と 聞いた",
      reason_low_confidence: "自信が ひくい",
      reason_thumbs_down: "利用者の 👎",
      reason_not_what_i_asked: "「ちがう」と 言われた",
      reason_cancelled_flow: "とちゅうで やめた",
    },
  };

  const state = { ui: "en", csrf: "", intents: [], inbox: [], result: null, polling: null };
  const $ = (selector, root) => (root || document).querySelector(selector);

  function t(key, values) {
    const table = TEXTS[state.ui] || TEXTS.en;
    let text = key in table ? table[key] : TEXTS.en[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  function setText(element, text) {
    element.textContent = text;
    return element;
  }

  function make(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // ---- UI language ---------------------------------------------------------------------------

  function applyLanguage(language) {
    state.ui = TEXTS[language] ? language : "en";
    try { localStorage.setItem("jra-console-language", state.ui); } catch (error) { /* private mode */ }
    document.documentElement.lang = state.ui;
    document.title = t("title");
    for (const element of document.querySelectorAll("[data-i18n]")) setText(element, t(element.dataset.i18n));
    for (const button of document.querySelectorAll("[data-ui-language]")) {
      button.setAttribute("aria-pressed", String(button.dataset.uiLanguage === state.ui));
    }
    if (!$("#app-view").hidden) {
      renderInbox();
      renderModels();
      if (state.result) renderResult(state.result);
    }
  }

  // ---- the API -------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || "HTTP " + status);
      this.status = status;
      this.body = body;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = state.csrf;
    }
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (response.status === 401 && path !== "/api/login") {
      showLogin(t("loggedOut"));
      throw new ApiError(401, data);
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // ---- log in and out ------------------------------------------------------------------------

  function showLogin(message) {
    $("#app-view").hidden = true;
    $("#logout").hidden = true;
    $("#login-view").hidden = false;
    setText($("#login-error"), message || "");
    stopPolling();
    $("#token").focus();
  }

  async function showApp() {
    $("#login-view").hidden = true;
    $("#app-view").hidden = false;
    $("#logout").hidden = false;
    state.intents = await api("GET", "/api/intents");
    await Promise.all([loadInbox(), loadModels(), loadRetrainStatus()]);
  }

  async function login(event) {
    event.preventDefault();
    const token = $("#token").value;
    try {
      const data = await api("POST", "/api/login", { token });
      state.csrf = data.csrf;
      $("#token").value = "";
      await showApp();
      const first = $("#inbox .action-label");
      (first || $("#refresh")).focus();
    } catch (error) {
      setText($("#login-error"), error.status === 429 ? t("tooMany") : t("wrongToken"));
      $("#token").select();
    }
  }

  async function logout() {
    try { await api("POST", "/api/logout", {}); } catch (error) { /* already logged out */ }
    state.csrf = "";
    showLogin("");
  }

  // ---- the inbox -----------------------------------------------------------------------------

  async function loadInbox() {
    const language = $("#language-filter").value;
    state.inbox = await api("GET", "/api/inbox" + (language ? "?language=" + encodeURIComponent(language) : ""));
    renderInbox();
  }

  function describeIntent(name) {
    const entry = state.intents.find((item) => item.name === name);
    return entry ? entry.description : "";
  }

  function renderInbox() {
    const box = $("#inbox");
    box.replaceChildren();
    let count = 0;
    for (const group of state.inbox) {
      if (!group.messages.length) continue;
      const section = make("section", "group");
      section.setAttribute("aria-label", group.language + " · " + (group.predicted_intent || t("noGuess")));
      const heading = make("h3");
      heading.append(
        make("span", "group__language", group.language + " · "),
        make("span", "group__intent", group.predicted_intent || t("noGuess")),
        make("span", "group__count", " (" + group.messages.length + ")")
      );
      section.append(heading);
      for (const message of group.messages) {
        section.append(renderMessage(message));
        count += 1;
      }
      box.append(section);
    }
    setText($("#inbox-status"), count ? t("inboxCount", { count }) : t("inboxEmpty"));
  }

  function renderMessage(message) {
    const card = $("#message-template").content.firstElementChild.cloneNode(true);
    card.dataset.key = message.key;
    card.lang = message.language;
    setText($(".message__text", card), message.text);
    const meta = [
      t("times", { count: message.count }),
      t("lastSeen", { when: new Date(message.last_seen).toLocaleString(state.ui) }),
      t("predicted") + ": " + (message.predicted_intent || t("noGuess")),
    ];
    if (typeof message.confidence === "number") meta.push(t("confidence", { value: message.confidence.toFixed(2) }));
    setText($(".message__meta", card), meta.join(" · "));
    const reasons = $(".message__reasons", card);
    for (const reason of message.reasons) reasons.append(make("li", "", TEXTS[state.ui]["reason_" + reason] ? t("reason_" + reason) : reason));
    setText($(".message__reply-label", card), t("botReplied"));
    setText($(".message__reply-text", card), message.bot_reply || t("noReply"));
    const labelButton = $(".action-label", card);
    setText(labelButton, t("labelButton"));
    labelButton.setAttribute("aria-expanded", "false");
    setText($(".action-out-of-scope", card), t("outOfScope"));
    setText($(".action-dismiss", card), t("dismiss"));
    const filterId = "filter-" + message.key;
    const pickerLabel = $(".picker__label", card);
    pickerLabel.htmlFor = filterId;
    setText(pickerLabel, t("pickerLabel"));
    $(".picker__filter", card).id = filterId;
    setText($(".check__title", card), t("checkTitle"));
    setText($(".action-cancel", card), t("cancel"));
    labelButton.addEventListener("click", () => openPicker(card, message));
    // Out of scope is saved as an example of out_of_scope: the same check first.
    $(".action-out-of-scope", card).addEventListener("click", () => check(card, message, "out_of_scope"));
    $(".action-dismiss", card).addEventListener("click", () => decide(card, message, "/api/dismiss", t("dismissed")));
    $(".action-cancel", card).addEventListener("click", () => closeCheck(card));
    card.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        $(".picker", card).hidden = true;
        closeCheck(card);
        labelButton.setAttribute("aria-expanded", "false");
        labelButton.focus();
      }
    });
    return card;
  }

  function openPicker(card, message) {
    const picker = $(".picker", card);
    const button = $(".action-label", card);
    if (!picker.hidden) {
      picker.hidden = true;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    picker.hidden = false;
    button.setAttribute("aria-expanded", "true");
    const filter = $(".picker__filter", card);
    filter.value = "";
    const list = $(".picker__list", card);
    const ordered = [...state.intents].sort((a, b) =>
      (a.name === message.predicted_intent ? -1 : 0) - (b.name === message.predicted_intent ? -1 : 0) || a.name.localeCompare(b.name)
    );
    list.replaceChildren();
    for (const intent of ordered) {
      const item = make("li");
      const choice = make("button", intent.name === message.predicted_intent ? "suggested" : "");
      choice.type = "button";
      choice.dataset.intent = intent.name;
      choice.append(make("span", "picker__name", intent.name));
      if (intent.name === message.predicted_intent) choice.append(make("span", "picker__hint", " · " + t("suggested")));
      choice.append(make("span", "picker__description", intent.description));
      choice.addEventListener("click", () => check(card, message, intent.name));
      item.append(choice);
      list.append(item);
    }
    filter.oninput = () => {
      const words = filter.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
      for (const item of list.children) {
        const text = item.textContent.toLowerCase();
        item.hidden = !words.every((word) => text.includes(word));
      }
    };
    filter.onkeydown = (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        const first = [...list.children].find((item) => !item.hidden);
        if (first) first.querySelector("button").click();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        const first = [...list.children].find((item) => !item.hidden);
        if (first) first.querySelector("button").focus();
      }
    };
    filter.focus();
  }

  async function check(card, message, intent) {
    const box = $(".check", card);
    const findings = $(".check__findings", card);
    const save = $(".action-save", card);
    box.hidden = false;
    findings.replaceChildren(make("li", "", t("checking")));
    save.disabled = true;
    setText(save, t("save", { intent }));
    let data;
    try {
      data = await api("POST", "/api/check", { key: message.key, intent });
    } catch (error) {
      findings.replaceChildren(make("li", "finding--blocking", t("failed", { error: error.message })));
      return;
    }
    showFindings(findings, data.findings);
    save.disabled = data.blocking;
    save.onclick = () => saveExample(card, message, intent);
    $(".picker", card).hidden = true;
    $(".action-label", card).setAttribute("aria-expanded", "false");
    (data.blocking ? $(".action-cancel", card) : save).focus();
  }

  function showFindings(list, items) {
    list.replaceChildren();
    if (!items.length) list.append(make("li", "finding--ok", t("checkClean")));
    for (const finding of items) {
      list.append(make("li", finding.blocking ? "finding--blocking" : "finding--note", (finding.blocking ? t("blocking") : t("warning")) + ": " + finding.message));
    }
  }

  function closeCheck(card) {
    $(".check", card).hidden = true;
  }

  async function saveExample(card, message, intent) {
    const save = $(".action-save", card);
    save.disabled = true;
    try {
      const data = await api("POST", "/api/label", { key: message.key, intent });
      done(card, t("saved", { file: data.saved }));
    } catch (error) {
      if (error.body && error.body.findings) showFindings($(".check__findings", card), error.body.findings);
      else setText($(".message__status", card), t("failed", { error: error.message }));
    }
  }

  async function decide(card, message, path, note) {
    try {
      await api("POST", path, { key: message.key });
      done(card, note);
    } catch (error) {
      setText($(".message__status", card), t("failed", { error: error.message }));
    }
  }

  function done(card, note) {
    // The message leaves the inbox; the note stays where it was, and the focus moves on.
    const next = card.nextElementSibling || (card.parentElement.nextElementSibling && card.parentElement.nextElementSibling.querySelector(".message"));
    for (const group of state.inbox) group.messages = group.messages.filter((item) => item.key !== card.dataset.key);
    const notice = make("p", "message__status done", note);
    notice.setAttribute("role", "status");
    notice.tabIndex = -1;
    card.replaceWith(notice);
    const remaining = document.querySelectorAll("#inbox .message").length;
    setText($("#inbox-status"), remaining ? t("inboxCount", { count: remaining }) : t("inboxEmpty"));
    const target = next && next.classList.contains("message") ? $(".action-label", next) : null;
    (target || notice).focus();
  }

  // ---- retrain, compare, accept, go back -----------------------------------------------------

  let models = { live: null, previous: null };

  async function loadModels() {
    models = await api("GET", "/api/models");
    renderModels();
  }

  function renderModels() {
    setText($("#live-model"), models.live || t("none"));
    setText($("#previous-model"), models.previous || t("none"));
    $("#rollback").disabled = !models.previous;
    const candidate = state.result && state.result.candidate;
    $("#accept").disabled = !candidate || candidate === models.live;
  }

  async function loadRetrainStatus() {
    showStatus(await api("GET", "/api/retrain"));
  }

  function showStatus(status) {
    const running = status.state === "running";
    $("#retrain").disabled = running;
    $("#progress").hidden = !(running || status.state === "failed");
    if (running || status.state === "failed") {
      const stage = status.state === "failed" ? "failed" : status.stage || "starting";
      $("#progress-bar").value = status.percent || 0;
      setText($("#progress-text"), t("progress", { stage: t("stage_" + stage), percent: Math.round(status.percent || 0) }));
    }
    if (status.state === "failed") setText($("#model-status"), t("retrainFailed", { error: status.error || "" }));
    if (status.state === "done" && status.result) {
      state.result = status.result;
      renderResult(status.result);
    }
    if (running) startPolling();
    else stopPolling();
  }

  function startPolling() {
    if (state.polling) return;
    state.polling = setInterval(async () => {
      try {
        const status = await api("GET", "/api/retrain");
        showStatus(status);
        if (status.state === "done") {
          $("#progress").hidden = false;
          $("#progress-bar").value = 100;
          setText($("#progress-text"), t("progress", { stage: t("stage_done"), percent: 100 }));
          $("#results").focus();
        }
      } catch (error) {
        stopPolling();
      }
    }, 1000);
  }

  function stopPolling() {
    if (state.polling) clearInterval(state.polling);
    state.polling = null;
  }

  async function retrain() {
    setText($("#model-status"), "");
    try {
      showStatus(await api("POST", "/api/retrain", {}));
      $("#progress-bar").focus();
    } catch (error) {
      setText($("#model-status"), t("failed", { error: error.message }));
    }
  }

  function percent(value) {
    return (value * 100).toFixed(1) + " %";
  }

  function renderResult(result) {
    $("#results").hidden = false;
    $("#results").tabIndex = -1;
    setText(
      $("#results-summary"),
      result.same_model
        ? t("sameModel")
        : t("resultsSummary", {
            candidate: result.candidate,
            training: Math.round(result.training_seconds),
            evaluation: Math.round(result.evaluation_seconds),
            changed: result.changed.length,
          })
    );
    const body = $("#accuracy-table tbody");
    body.replaceChildren();
    const chart = $("#chart");
    chart.replaceChildren();
    const legend = make("div", "chart__legend");
    legend.append(make("span", "legend--before", t("legendBefore")), make("span", "legend--after", t("legendAfter")));
    chart.append(legend);
    for (const set of result.sets) {
      chart.append(make("div", "chart__set", set.name));
      for (const [language, scores] of Object.entries(set.languages)) {
        const change = scores.after - scores.before;
        const row = make("tr");
        const changeCell = make("td", "number " + (change > 0 ? "better" : change < 0 ? "worse" : ""), (change > 0 ? "+" : "") + (change * 100).toFixed(1));
        row.append(
          make("td", "", set.name),
          make("td", "", language),
          make("td", "number", String(scores.messages)),
          make("td", "number", percent(scores.before)),
          make("td", "number", percent(scores.after)),
          changeCell
        );
        body.append(row);
        const chartRow = make("div", "chart__row");
        const bars = make("div", "chart__bars");
        const before = make("div", "chart__bar chart__bar--before");
        before.style.width = (scores.before * 100).toFixed(1) + "%";
        const after = make("div", "chart__bar chart__bar--after");
        after.style.width = (scores.after * 100).toFixed(1) + "%";
        bars.append(before, after);
        chartRow.append(make("span", "", language), bars, make("span", "number", percent(scores.after)));
        chart.append(chartRow);
      }
    }
    const changed = $("#changed-table tbody");
    changed.replaceChildren();
    if (!result.changed.length) {
      const row = make("tr");
      const cell = make("td", "", t("noChanges"));
      cell.colSpan = 5;
      row.append(cell);
      changed.append(row);
    }
    for (const item of result.changed) {
      const row = make("tr");
      const text = make("td", "", item.text);
      text.lang = item.language;
      row.append(
        make("td", "", item.language),
        text,
        make("td", "", item.expected),
        make("td", item.before === item.expected ? "better" : "", item.before),
        make("td", item.after === item.expected ? "better" : item.before === item.expected ? "worse" : "", item.after)
      );
      changed.append(row);
    }
    renderModels();
  }

  async function switchModel(path, body, key) {
    setText($("#model-status"), "");
    $("#accept").disabled = true;
    $("#rollback").disabled = true;
    try {
      const data = await api("POST", path, body);
      models = { live: data.live, previous: data.previous };
      let note = t(key, { model: data.live });
      if (data.servers && data.servers.length) note += " " + t("serversNote", { lines: data.servers.join("; ") });
      setText($("#model-status"), note);
    } catch (error) {
      setText($("#model-status"), t("failed", { error: error.message }));
    }
    renderModels();
  }

  // ---- start ---------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", async () => {
    let saved = "";
    try { saved = localStorage.getItem("jra-console-language") || ""; } catch (error) { saved = ""; }
    applyLanguage(saved || (navigator.language || "en").slice(0, 2));
    for (const button of document.querySelectorAll("[data-ui-language]")) {
      button.addEventListener("click", () => applyLanguage(button.dataset.uiLanguage));
    }
    for (const language of ["en", "ru", "uk", "zh", "ja"]) {
      const option = make("option", "", language);
      option.value = language;
      $("#language-filter").append(option);
    }
    $("#login-form").addEventListener("submit", login);
    $("#logout").addEventListener("click", logout);
    $("#refresh").addEventListener("click", () => loadInbox());
    $("#language-filter").addEventListener("change", () => loadInbox());
    $("#retrain").addEventListener("click", retrain);
    $("#accept").addEventListener("click", () => switchModel("/api/models/accept", { candidate: state.result.candidate }, "accepted"));
    $("#rollback").addEventListener("click", () => switchModel("/api/models/rollback", {}, "wentBack"));
    try {
      const session = await api("GET", "/api/session");
      state.csrf = session.csrf;
      await showApp();
    } catch (error) {
      showLogin("");
    }
  });
})();
