/**
 * Which of the dataset's departments a person can belong to, or a campaign be led by or include.
 *
 * The source's department clauses also name bodies collectively: 各地, 各有关单位, 各有关部门,
 * 各级知识产权相关职能部门, 各地级以上市人民政府 — "each/every …", many bodies at once, never the one an inspector
 * works for. Every such name opens with 各 ("each, every") and no single department's name does (they open with
 * 省 or 海关总署), so that is the rule. The task browser and search keep them: they are what the source says.
 */

/** A name that stands for many bodies at once (各…), not one department. */
export function isCollectiveDepartment(name: string): boolean {
  return name.startsWith('各')
}

/**
 * The departments offered for an account or a campaign: `all` (the dataset's, in its order) less the collective
 * names, except those in `kept` — what is already recorded (an account's or a campaign's department stored
 * before this rule), which stays shown and may be kept.
 */
export function departmentChoices(all: readonly string[], kept: readonly string[] = []): string[] {
  return all.filter((name) => !isCollectiveDepartment(name) || kept.includes(name))
}
