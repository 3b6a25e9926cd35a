// Reads from the assessment service (the only origin the page talks to), as the supervisor
// whose token this browser tab holds (sessionStorage: gone when the tab closes).

const TOKEN_KEY = "firstloan.token";
// Routes that are not of one campaign: they never take `?campaign=`.
const PLATFORM_WIDE = ["/campaigns", "/auth/", "/province"];

// The campaign the page shows: the address's `?campaign=`, else the one the picker chose.
let campaign = new URLSearchParams(location.search).get("campaign");

export function currentCampaign() {
  return campaign;
}

export function useCampaign(id) {
  campaign = id;
}

// `path` for the current campaign: its `?campaign=` added, unless the path names one already
// or is of the whole platform.
export function withCampaign(path) {
  if (!campaign || PLATFORM_WIDE.some((prefix) => path.startsWith(prefix))) return path;
  const url = new URL(path, location.origin);
  if (!url.searchParams.has("campaign")) url.searchParams.set("campaign", campaign);
  return url.pathname + url.search;
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function headers() {
  const result = { accept: "application/json" };
  const held = token();
  if (held) result.authorization = `Bearer ${held}`;
  return result;
}

export async function getJSON(path) {
  const response = await fetch(withCampaign(path), { headers: headers() });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    await askForToken("令牌无效或已过期 The token is missing, invalid or expired.");
    return getJSON(path);
  }
  if (response.status === 403) {
    const body = await response.json().catch(() => ({}));
    const needs = (body.required ?? []).join(", ") || "central";
    throw new Error(`${path}: 权限不足 needs ${needs}`);
  }
  if (response.status === 409) {
    const body = await response.json().catch(() => ({}));
    const candidates = (body.detail?.[0]?.candidates ?? []).join(", ");
    throw new Error(`${path}: 请选择行动 choose a campaign (${candidates})`);
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

// Who this tab is, asked once on load: a token is asked for until one works; development
// mode (no authentication) is announced on the page for as long as it is on.
export async function signIn() {
  for (;;) {
    const response = await fetch("/auth/whoami", { headers: headers() });
    if (response.ok) {
      const caller = await response.json();
      showCaller(caller);
      return caller;
    }
    sessionStorage.removeItem(TOKEN_KEY);
    await askForToken(response.status === 401 ? "" : `HTTP ${response.status}`);
  }
}

function showCaller(caller) {
  const bar = document.querySelector(".topbar") ?? document.body;
  const who = document.createElement("span");
  who.className = "caller";
  if (caller.mode === "none") {
    const banner = document.createElement("div");
    banner.className = "dev-mode";
    banner.textContent = "开发模式：未启用身份认证 Development mode: no authentication";
    document.body.prepend(banner);
  }
  const until = caller.expires_at ? ` · 至 ${caller.expires_at.slice(0, 16).replace("T", " ")}` : "";
  who.textContent = `${caller.actor}${until}`;
  bar.append(who);
}

function askForToken(problem) {
  return new Promise((resolve) => {
    const dialog = document.createElement("dialog");
    dialog.className = "sign-in";
    dialog.innerHTML = `
      <form method="dialog">
        <h2>登录 Sign in</h2>
        <p>粘贴访问令牌（<code>firstloan token issue --scope central</code>）
           Paste an access token.</p>
        <p class="problem"></p>
        <textarea name="token" rows="4" cols="60" required></textarea>
        <button type="submit">进入 Enter</button>
      </form>`;
    dialog.querySelector(".problem").textContent = problem;
    dialog.addEventListener("close", () => {
      const value = dialog.querySelector("textarea").value.trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      dialog.remove();
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function openEscalationsByUnit(escalations) {
  const counts = new Map();
  for (const e of escalations) counts.set(e.unit_id, (counts.get(e.unit_id) ?? 0) + 1);
  return counts;
}
