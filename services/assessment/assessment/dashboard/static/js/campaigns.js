// The campaign picker: every campaign the platform knows (GET /campaigns), the one shown
// kept in the address (`?campaign=`) so that a link or a reload shows the same campaign.

import { currentCampaign, getJSON, useCampaign } from "./api.js";
import { el } from "./format.js";

const STATUS = { planned: "未开始 planned", running: "进行中 running", ended: "已结束 ended" };

// The campaign to show when the address names none: a running one (the first to have
// begun), else the latest to have begun, else the first planned.
export function defaultCampaign(campaigns) {
  const running = campaigns.filter((c) => c.status === "running");
  if (running.length) return running[0];
  const begun = campaigns.filter((c) => c.status === "ended");
  return begun.length ? begun[begun.length - 1] : campaigns[0];
}

export async function pickCampaign(container) {
  const campaigns = await getJSON("/campaigns");
  const named = campaigns.find((c) => c.id === currentCampaign());
  const chosen = named ?? defaultCampaign(campaigns);
  if (chosen) useCampaign(chosen.id);
  const picker = el("select", { id: "campaign-picker", "aria-label": "行动 Campaign" },
    campaigns.map((c) => {
      const option = el("option", { value: c.id }, `${c.region.name} · ${c.name} · ${STATUS[c.status] ?? c.status}`);
      if (c.id === chosen?.id) option.selected = true;
      return option;
    }));
  picker.addEventListener("change", () => {
    const url = new URL(location.href);
    url.searchParams.set("campaign", picker.value);
    location.href = url.toString();
  });
  const province = el("a", { href: "/cities", class: "nav", id: "province-link" }, "全省 Province");
  container.prepend(picker, province);
  return chosen;
}
