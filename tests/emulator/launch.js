#!/usr/bin/env node
/*
 * Launcher for the telegram-test-api Bot API emulator (4.2.1, MIT), patched at run
 * time so python-telegram-bot 22.8 can talk to it. Nothing in node_modules is edited:
 * the patches replace methods on the TelegramServer class and register extra express
 * routes ahead of the stock ones (the stock route list is a plain exported array).
 *
 * Usage: node launch.js [--host 127.0.0.1] [--port 0] [--bot-username NewsqaTestBot]
 *                       [--bot-id 666] [--store-timeout 600] [--watch-stdin 1]
 * Prints the chosen port alone on the first line of stdout, then serves until
 * SIGTERM/SIGINT, or, with --watch-stdin 1, until stdin closes (so a test suite that
 * dies never leaves it behind).
 *
 * Patches (each gap found with PTB 22.8):
 *  1. getMe answers a full User (is_bot, can_join_groups, ...).
 *  2. sendChatAction, setMyCommands, getMyCommands, deleteMyCommands, getWebhookInfo
 *     answer like Telegram instead of HTTP 500; unknown methods answer 404.
 *  3. Sent messages carry `date` in seconds (not milliseconds) and a `from` bot user.
 *  4. Callback queries carry `chat_instance`; the internal `botToken` field is stripped
 *     from updates.
 *  5. editMessageText returns the edited Message (not null), replaces or removes the
 *     keyboard like Telegram, 400s on an unknown message, and re-delivers the edited
 *     message to the client API (same messageId) so tests can wait for edits.
 *  6. getUpdates long-polls up to `timeout` seconds, honours `offset` (confirming
 *     earlier updates) and `limit`, and answers 409 while a webhook is set.
 *  7. Webhook delivery sends X-Telegram-Bot-Api-Secret-Token when setWebhook had a
 *     secret_token, survives non-2xx answers and network errors (logged, and
 *     listed by the client route POST /getWebhookDeliveries), instead of crashing.
 *  8. parse_mode=HTML text is checked approximately like Telegram (allowed tags,
 *     balanced, &/</> escaped, known entities): 400 "Bad Request: can't parse
 *     entities: ..."; text longer than 4096 UTF-16 units after parsing or empty
 *     answers 400 as well.
 *  9. Client routes: POST /getUpdates accepts `timeout` (seconds) and long-polls for
 *     bot messages; POST /getCallbackAnswers lists answerCallbackQuery calls, and
 *     POST /getReactions the setMessageReaction calls (answered true).
 *  10. Port 0 works (the stock config turns 0 into 9000).
 *  11. A client message may carry its own message_id, and with edit_date it is
 *      delivered as an edited_message; editMessageReplyMarkup changes the keyboard
 *      only (listed by POST /getReplyMarkupEdits) and answers the Message.
 */
'use strict';

const axios = require('axios');
const TelegramServer = require('telegram-test-api');
const stockRoutes = require('telegram-test-api/lib/routes/index').routes;
const { unknownMethod } = require('telegram-test-api/lib/routes/bot/unknownMethod');

function parseArgs(argv) {
  const opts = {
    host: '127.0.0.1',
    port: 0,
    botUsername: 'NewsqaTestBot',
    botId: 666,
    storeTimeout: 600,
    watchStdin: false,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${key}`);
    if (key === '--host') opts.host = value;
    else if (key === '--port') opts.port = Number(value);
    else if (key === '--bot-username') opts.botUsername = value;
    else if (key === '--bot-id') opts.botId = Number(value);
    else if (key === '--store-timeout') opts.storeTimeout = Number(value);
    else if (key === '--watch-stdin') opts.watchStdin = value === '1' || value === 'true';
    else throw new Error(`unknown option ${key}`);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const log = (...args) => process.stderr.write(`[emulator] ${args.join(' ')}\n`);
const botUser = () => ({
  id: opts.botId, is_bot: true, first_name: 'Newsqa Test', username: opts.botUsername,
});

// ---- HTML check (approximate Telegram rules) ----------------------------------------

const ALLOWED_TAGS = new Set([
  'b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre',
  'blockquote', 'tg-spoiler', 'span', 'tg-emoji',
]);
const NAMED_ENTITIES = { lt: '<', gt: '>', amp: '&', quot: '"' };

function byteOffset(text, index) {
  return Buffer.byteLength(text.slice(0, index), 'utf8');
}

/** Returns { error, visible }: error is null or the text after "can't parse entities: ". */
function parseHtml(text) {
  const stack = [];
  let visible = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '<') {
      const close = text.indexOf('>', i + 1);
      const next = text.indexOf('<', i + 1);
      if (close < 0 || (next >= 0 && next < close)) {
        return { error: `Unclosed start tag at byte offset ${byteOffset(text, i)}` };
      }
      const raw = text.slice(i + 1, close);
      const m = /^(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^]*)?$/.exec(raw);
      if (!m) {
        return { error: `Unsupported start tag "${raw}" at byte offset ${byteOffset(text, i)}` };
      }
      const [, slash, nameRaw, attrs] = m;
      const name = nameRaw.toLowerCase();
      if (!ALLOWED_TAGS.has(name)) {
        return { error: `Unsupported start tag "${name}" at byte offset ${byteOffset(text, i)}` };
      }
      if (slash) {
        const top = stack.pop();
        if (top === undefined) {
          return { error: `Unexpected end tag at byte offset ${byteOffset(text, i)}` };
        }
        if (top !== name) {
          return {
            error: `Can't find end tag corresponding to start tag "${top}"`
              + ` (found "</${name}>" at byte offset ${byteOffset(text, i)})`,
          };
        }
      } else {
        if (name === 'span' && !/class\s*=\s*"tg-spoiler"/.test(attrs || '')) {
          return { error: `Unsupported start tag "span" at byte offset ${byteOffset(text, i)}` };
        }
        if (name === 'a' && !/href\s*=/.test(attrs || '')) {
          return { error: `Can't parse "a" tag: href missing at byte offset ${byteOffset(text, i)}` };
        }
        if (name === 'blockquote' && stack.includes('blockquote')) {
          return { error: `Blockquote can't be nested at byte offset ${byteOffset(text, i)}` };
        }
        stack.push(name);
      }
      i = close + 1;
    } else if (ch === '>') {
      return { error: `Character '>' is reserved and must be escaped at byte offset ${byteOffset(text, i)}` };
    } else if (ch === '&') {
      const m = /^&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);/.exec(text.slice(i, i + 12));
      if (!m) {
        return { error: `Character '&' is reserved and must be escaped at byte offset ${byteOffset(text, i)}` };
      }
      const ref = m[1];
      if (ref[0] === '#') {
        const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        visible += String.fromCodePoint(Math.min(code, 0x10ffff));
      } else if (ref.toLowerCase() in NAMED_ENTITIES) {
        visible += NAMED_ENTITIES[ref.toLowerCase()];
      } else {
        return { error: `Unsupported HTML entity "&${ref};" at byte offset ${byteOffset(text, i)}` };
      }
      i += m[0].length;
    } else {
      visible += ch;
      i += 1;
    }
  }
  if (stack.length) {
    return { error: `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  }
  return { error: null, visible };
}

/** null when `body` is an acceptable message text, else a Telegram-like error object. */
function checkText(body) {
  const text = body.text === undefined ? '' : String(body.text);
  let visible = text;
  if (String(body.parse_mode || '').toUpperCase() === 'HTML') {
    const parsed = parseHtml(text);
    if (parsed.error) {
      return { status: 400, description: `Bad Request: can't parse entities: ${parsed.error}` };
    }
    visible = parsed.visible;
  }
  if (!visible.trim()) return { status: 400, description: 'Bad Request: message text is empty' };
  if (visible.length > 4096) return { status: 400, description: 'Bad Request: message is too long' };
  return null;
}

// ---- server patches ------------------------------------------------------------------

const waiters = { updates: new Set(), botMessages: new Set() };
function notify(set) {
  for (const wake of [...set]) wake();
}
const webhookDeliveries = [];
const callbackAnswers = [];
const reactions = []; // setMessageReaction calls, listed by the client route POST /getReactions
const replyMarkupEdits = []; // editMessageReplyMarkup calls, listed by POST /getReplyMarkupEdits

const proto = TelegramServer.prototype;

// Allocate message/update ids synchronously so concurrent user messages never share one.
proto.getCommonFields = function getCommonFields(botToken) {
  const fields = {
    time: Date.now(), botToken, updateId: this.updateId, messageId: this.messageId, isRead: false,
  };
  this.updateId += 1;
  this.messageId += 1;
  return fields;
};
proto.addUserMessage = async function addUserMessage(message) {
  await this.addUserUpdate({ ...this.getCommonFields(message.botToken), message });
  this.emit('AddedUserMessage');
};
proto.addUserCommand = async function addUserCommand(message) {
  await this.addUserUpdate({
    ...this.getCommonFields(message.botToken), message, entities: message.entities,
  });
  this.emit('AddedUserCommand');
};
proto.addUserCallback = async function addUserCallback(callbackQuery) {
  const fields = this.getCommonFields(callbackQuery.botToken);
  const callbackId = this.callbackId;
  this.callbackId += 1;
  await this.addUserUpdate({ ...fields, callbackQuery, callbackId });
  this.emit('AddedUserCallbackQuery');
};

proto.addUserUpdate = async function addUserUpdate(update) {
  if (!update.botToken) throw new Error('an update needs a botToken');
  const webhook = this.webhooks[update.botToken];
  if (!webhook) {
    this.storage.userMessages.push(update);
    notify(waiters.updates);
    return;
  }
  const headers = { 'Content-Type': 'application/json' };
  if (webhook.secret_token) headers['X-Telegram-Bot-Api-Secret-Token'] = String(webhook.secret_token);
  const record = { update_id: update.updateId, url: webhook.url, status: 0, error: '' };
  try {
    const resp = await axios({
      url: webhook.url,
      method: 'POST',
      data: TelegramServer.formatUpdate(update),
      headers,
      validateStatus: () => true,
      timeout: 30000,
    });
    record.status = resp.status;
    if (resp.status < 200 || resp.status > 299) log(`webhook answered HTTP ${resp.status}`);
  } catch (err) {
    record.error = String(err && err.message ? err.message : err);
    log(`webhook delivery failed: ${record.error}`);
  }
  webhookDeliveries.push(record);
};

const stripToken = (obj) => {
  if (!obj || typeof obj !== 'object') return obj;
  const { botToken, ...rest } = obj; // eslint-disable-line no-unused-vars
  return rest;
};
TelegramServer.formatUpdate = function formatUpdate(update) {
  if ('callbackQuery' in update) {
    const cq = update.callbackQuery;
    const message = stripToken(cq.message);
    const chatId = message && message.chat ? message.chat.id : (cq.from && cq.from.id);
    return {
      update_id: update.updateId,
      callback_query: {
        id: String(update.callbackId),
        from: cq.from,
        message,
        chat_instance: cq.chat_instance || `emulator-${chatId}`,
        data: cq.data,
      },
    };
  }
  // a client may name the message (message_id) and send an edit of it (edit_date):
  // that update is an edited_message, as Telegram sends when a user edits a message
  const message = stripToken(update.message);
  const id = message.message_id !== undefined ? Number(message.message_id) : update.messageId;
  if (message.edit_date !== undefined) {
    return { update_id: update.updateId, edited_message: { ...message, message_id: id } };
  }
  return { update_id: update.updateId, message: { ...message, message_id: id } };
};

function messageView(stored) {
  const m = stored.message;
  const view = {
    message_id: stored.messageId,
    from: botUser(),
    date: Math.floor(stored.time / 1000),
    chat: { id: Number(m.chat_id), type: 'private', first_name: 'Reader' },
    text: m.text,
  };
  if (stored.editTime) view.edit_date = Math.floor(stored.editTime / 1000);
  if (m.reply_markup && 'inline_keyboard' in m.reply_markup) view.reply_markup = m.reply_markup;
  return view;
}

const stockAddBotMessage = proto.addBotMessage;
proto.addBotMessage = function addBotMessage(rawMessage, botToken) {
  const msg = stockAddBotMessage.call(this, rawMessage, botToken);
  const stored = this.storage.botMessages[this.storage.botMessages.length - 1];
  notify(waiters.botMessages);
  return msg && messageView(stored);
};

// ---- routes --------------------------------------------------------------------------

function params(req) {
  return { ...(req.query || {}), ...(req.body || {}) };
}
function ok(res, result) {
  res.status(200).json({ ok: true, result });
}
function fail(res, status, description) {
  res.status(status).json({ ok: false, error_code: status, description });
}

function patchedRoutes(app, server) {
  app.all('/bot:token/getMe', (req, res) => ok(res, {
    ...botUser(), can_join_groups: true, can_read_all_group_messages: false,
    supports_inline_queries: false,
  }));
  app.all('/bot:token/sendChatAction', (req, res) => {
    const p = params(req);
    if (!p.chat_id || !p.action) return fail(res, 400, 'Bad Request: chat_id and action are required');
    return ok(res, true);
  });
  const commands = {};
  app.all('/bot:token/setMyCommands', (req, res) => {
    const p = params(req);
    commands[req.params.token] = typeof p.commands === 'string' ? JSON.parse(p.commands) : (p.commands || []);
    ok(res, true);
  });
  app.all('/bot:token/getMyCommands', (req, res) => ok(res, commands[req.params.token] || []));
  app.all('/bot:token/deleteMyCommands', (req, res) => {
    delete commands[req.params.token];
    ok(res, true);
  });
  app.all('/bot:token/getWebhookInfo', (req, res) => {
    const hook = server.webhooks[req.params.token];
    ok(res, { url: hook ? hook.url : '', has_custom_certificate: false, pending_update_count: 0 });
  });
  app.all('/bot:token/setWebhook', (req, res) => {
    const p = params(req);
    if (!p.url) return fail(res, 400, 'Bad Request: bad webhook: an HTTP URL must be provided');
    if (p.secret_token && !/^[A-Za-z0-9_-]{1,256}$/.test(String(p.secret_token))) {
      return fail(res, 400, 'Bad Request: secret token contains unallowed characters');
    }
    server.setWebhook({ url: p.url, secret_token: p.secret_token || '' }, req.params.token);
    return ok(res, true);
  });
  app.all('/bot:token/deleteWebhook', (req, res) => {
    const p = params(req);
    server.deleteWebhook(req.params.token);
    if (String(p.drop_pending_updates) === 'true') {
      server.storage.userMessages
        .filter((u) => u.botToken === req.params.token)
        .forEach((u) => { u.isRead = true; });
    }
    ok(res, true);
  });
  app.all('/bot:token/sendMessage', (req, res) => {
    const p = params(req);
    if (p.chat_id === undefined) return fail(res, 400, 'Bad Request: chat_id is empty');
    const problem = checkText(p);
    if (problem) return fail(res, problem.status, problem.description);
    return ok(res, server.addBotMessage(p, req.params.token));
  });
  app.all('/bot:token/editMessageText', (req, res) => {
    const p = TelegramServer.normalizeMessage(params(req));
    const problem = checkText(p);
    if (problem) return fail(res, problem.status, problem.description);
    const stored = server.storage.botMessages.find((u) => (
      u.botToken === req.params.token
      && String(u.messageId) === String(p.message_id)
      && String(u.message.chat_id) === String(p.chat_id)));
    if (!stored) return fail(res, 400, 'Bad Request: message to edit not found');
    const message = { ...stored.message, text: p.text };
    for (const key of ['parse_mode', 'entities', 'reply_markup', 'link_preview_options']) {
      if (p[key] === undefined) delete message[key];
      else message[key] = p[key];
    }
    stored.message = message;
    stored.editTime = Date.now();
    stored.isRead = false; // re-deliver the edited message to the client API
    server.emit('EditedMessageText');
    notify(waiters.botMessages);
    return ok(res, messageView(stored));
  });
  app.all('/bot:token/editMessageReplyMarkup', (req, res) => {
    const p = TelegramServer.normalizeMessage(params(req));
    const stored = server.storage.botMessages.find((u) => (
      u.botToken === req.params.token
      && String(u.messageId) === String(p.message_id)
      && String(u.message.chat_id) === String(p.chat_id)));
    if (!stored) return fail(res, 400, 'Bad Request: message to edit not found');
    const message = { ...stored.message };
    if (p.reply_markup === undefined) delete message.reply_markup;
    else message.reply_markup = p.reply_markup;
    stored.message = message; // not re-delivered: the text did not change
    replyMarkupEdits.push({ token: req.params.token, chat_id: p.chat_id, message_id: p.message_id });
    return ok(res, messageView(stored));
  });
  app.all('/bot:token/answerCallbackQuery', (req, res) => {
    const p = params(req);
    callbackAnswers.push({ token: req.params.token, ...p });
    ok(res, true);
  });
  app.all('/bot:token/setMessageReaction', (req, res) => {
    const p = params(req);
    if (!p.chat_id || !p.message_id) return fail(res, 400, 'Bad Request: chat_id and message_id are required');
    reactions.push({ token: req.params.token, ...p });
    return ok(res, true);
  });
  app.all('/bot:token/getUpdates', (req, res) => {
    const token = req.params.token;
    if (server.webhooks[token]) {
      return fail(res, 409, "Conflict: can't use getUpdates method while webhook is active;"
        + ' use deleteWebhook to delete the webhook first');
    }
    const p = params(req);
    const offset = Number(p.offset || 0);
    const limit = Math.min(100, Math.max(1, Number(p.limit || 100)));
    const timeout = Math.min(50, Math.max(0, Number(p.timeout || 0)));
    if (offset > 0) {
      server.storage.userMessages
        .filter((u) => u.botToken === token && u.updateId < offset)
        .forEach((u) => { u.isRead = true; });
    }
    const pending = () => server.storage.userMessages
      .filter((u) => u.botToken === token && !u.isRead && u.updateId >= offset)
      .slice(0, limit)
      .map((u) => TelegramServer.formatUpdate(u));
    const ready = pending();
    if (ready.length || timeout === 0) return ok(res, ready);
    return longPoll(req, res, waiters.updates, timeout, pending);
  });
  // client side (the "reader" API of the emulator)
  app.post('/getUpdates', (req, res) => {
    const token = req.body.token;
    const timeout = Math.min(50, Math.max(0, Number(req.body.timeout || 0)));
    const take = () => {
      const found = server.storage.botMessages.filter((u) => u.botToken === token
        && String(u.message.chat_id) === String(req.body.chatId) && !u.isRead);
      found.forEach((u) => { u.isRead = true; });
      return found;
    };
    const ready = take();
    if (ready.length || timeout === 0) return ok(res, ready);
    return longPoll(req, res, waiters.botMessages, timeout, take);
  });
  app.post('/getWebhookDeliveries', (req, res) => ok(res, webhookDeliveries));
  app.post('/getReactions', (req, res) => ok(res, reactions
    .filter((r) => !req.body.token || r.token === req.body.token)));
  app.post('/getReplyMarkupEdits', (req, res) => ok(res, replyMarkupEdits
    .filter((e) => !req.body.token || e.token === req.body.token)));
  app.post('/getCallbackAnswers', (req, res) => ok(res, callbackAnswers
    .filter((a) => !req.body.token || a.token === req.body.token)));
}

function longPoll(req, res, set, timeoutSeconds, take) {
  let done = false;
  const finish = (result) => {
    if (done) return;
    done = true;
    set.delete(wake);
    clearTimeout(timer);
    if (!res.writableEnded) ok(res, result);
  };
  const wake = () => {
    const result = take();
    if (result.length) finish(result);
  };
  const timer = setTimeout(() => finish([]), timeoutSeconds * 1000);
  set.add(wake);
  res.on('close', () => {
    done = true;
    set.delete(wake);
    clearTimeout(timer);
  });
}

function notFound(app) {
  app.all('/bot:token/:method', (req, res) => {
    log(`unsupported Bot API method ${req.params.method}`);
    fail(res, 404, 'Not Found');
  });
}

// Our routes go first; the stock catch-all (HTTP 500) is replaced by a 404 like Telegram's.
stockRoutes.unshift(patchedRoutes);
const catchAll = stockRoutes.indexOf(unknownMethod);
if (catchAll >= 0) stockRoutes[catchAll] = notFound;

// ---- start ---------------------------------------------------------------------------

async function main() {
  const server = new TelegramServer({
    host: opts.host, port: 1, storeTimeout: opts.storeTimeout,
  });
  server.config.port = opts.port; // the stock normalizeConfig turns 0 into 9000
  await server.start();
  const { port } = server.server.address();
  server.config.port = port;
  server.config.apiURL = `${server.config.protocol}://${opts.host}:${port}`;
  process.stdout.write(`${port}\n`);
  log(`Bot API emulator listening on http://${opts.host}:${port}`);

  let stopping = false;
  const stop = (why) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    setTimeout(() => process.exit(0), 1000).unref();
    server.stop().then(() => process.exit(0), () => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (opts.watchStdin) {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('error', () => stop('stdin error'));
    process.stdin.resume();
  }
}

main().catch((err) => {
  log(`failed to start: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
