// Reads from the assessment service (the only origin the page talks to).

export async function getJSON(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

export function openEscalationsByUnit(escalations) {
  const counts = new Map();
  for (const e of escalations) counts.set(e.unit_id, (counts.get(e.unit_id) ?? 0) + 1);
  return counts;
}
