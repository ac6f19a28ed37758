import type { DocumentInfo, Principle, Role, Section, Task, TaskDepartment } from '../kernel/dataset'
import { ZhixunError } from '../kernel/errors'

/** The seed does not have the shape this parser knows. Nothing is dropped, merged or guessed. */
export class SeedFormatError extends ZhixunError<'seed_format'> {
  constructor(
    readonly line: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(
      'seed_format',
      `seed line ${line}: expected ${expected}, found ${found ? `"${clip(found)}"` : 'the end of the document'}`,
    )
    this.name = 'SeedFormatError'
  }
}

export interface ParsedSeed {
  document: DocumentInfo
  sections: Section[]
  tasks: Task[]
}

interface Line {
  no: number
  text: string
}

const NUMERALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十']
const ROLE_WORDS: Record<string, Role> = { 牵头: 'lead', 负责: 'responsible', 配合: 'cooperating' }
const SECTION_RE = /^[（(]([一二三四五六七八九十]+)[）)]\s*(\S.*)$/
const TASK_RE = /^(\d+)\.\s*(.*)$/
/** The document's closing line: 公开方式：主动公开. */
const FOOTER_RE = /^公开方式[：:]\s*(\S+)$/
const CJK = '\\u3400-\\u9fff'

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s
}

/** Titles were wrapped by the PDF conversion; a space next to a Chinese character is that wrap, not text. */
function unwrapTitle(s: string): string {
  return s.replace(new RegExp(`\\s+(?=[${CJK}])|(?<=[${CJK}])\\s+`, 'g'), '')
}

class Cursor {
  private i = 0
  constructor(private readonly lines: Line[]) {}

  peek(): Line | undefined {
    return this.lines[this.i]
  }

  lastLineNo(): number {
    return this.lines.at(-1)?.no ?? 1
  }

  take(expected: string, test: (text: string) => boolean): Line {
    const line = this.peek()
    if (!line || !test(line.text)) {
      throw new SeedFormatError(line?.no ?? this.lastLineNo(), expected, line?.text ?? '')
    }
    this.i++
    return line
  }

  /** Lines up to (not including) the first that passes `stop`; at least one. */
  takeUntil(expected: string, stop: (text: string) => boolean): Line[] {
    const out: Line[] = []
    for (let line = this.peek(); line && !stop(line.text); line = this.peek()) {
      out.push(line)
      this.i++
    }
    if (out.length === 0) {
      const line = this.peek()
      throw new SeedFormatError(line?.no ?? this.lastLineNo(), expected, line?.text ?? '')
    }
    return out
  }
}

const heading = (numeral: string) => (t: string) => t.startsWith(`${numeral}、`)

function parseDate(line: Line): string {
  const m = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(line.text)
  if (!m) throw new SeedFormatError(line.no, 'the notice date (YYYY年M月D日)', line.text)
  const [, y, mo, d] = m
  return `${y}-${mo!.padStart(2, '0')}-${d!.padStart(2, '0')}`
}

function parsePrinciple(line: Line): Principle {
  const body = line.text.replace(/^——/, '')
  const end = body.indexOf('。')
  if (end < 1) throw new SeedFormatError(line.no, 'a principle "——坚持…。…"', line.text)
  return { title: body.slice(0, end), text: body.slice(end + 1) }
}

function parseHeader(cur: Cursor): { document: DocumentInfo } {
  const letterhead = cur.take('the letterhead (…文件)', (t) => t.endsWith('文件')).text
  const number = cur.take('the document number (…〔YYYY〕N号)', (t) => /^\S+〔\d{4}〕\d+号$/.test(t)).text
  const title = unwrapTitle(cur.take('the notice title (…通知)', (t) => t.endsWith('通知')).text)
  const addressees = cur.take('the addressees (ending in ：)', (t) => /[：:]$/.test(t)).text
  const notice = cur.take('the notice text', (t) => t.endsWith('。')).text
  const issuer = cur.take('the issuing office', (t) => !/\d/.test(t)).text
  const date = parseDate(cur.take('the notice date', () => true))
  const contact = cur.take('the contact line (（联系人…）)', (t) => /^[（(]联系人/.test(t)).text
  const workPointsTitle = unwrapTitle(cur.take('the work points title (…工作要点)', (t) => t.endsWith('工作要点')).text)
  const preamble = cur
    .takeUntil('the preamble', heading('一'))
    .map((l) => l.text)
    .join('\n')
  cur.take('"一、指导思想"', heading('一'))
  const guidingThought = cur
    .takeUntil('the guiding thought', heading('二'))
    .map((l) => l.text)
    .join('\n')
  cur.take('"二、工作原则"', heading('二'))
  const principles = cur.takeUntil('the working principles (——…)', heading('三')).map((l) => {
    if (!l.text.startsWith('——')) throw new SeedFormatError(l.no, 'a principle starting with ——', l.text)
    return parsePrinciple(l)
  })
  cur.take('"三、主要任务和牵头部门"', heading('三'))
  return {
    document: {
      letterhead,
      number,
      issuer,
      title,
      date,
      addressees,
      notice,
      contact,
      workPointsTitle,
      preamble,
      guidingThought,
      principles,
      disclosure: '',
    },
  }
}

/** Splits at separators outside brackets, so 新闻出版广电局（版权局） stays whole. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === '（') depth++
    else if (c === '）') depth--
    else if (depth === 0 && (c === '、' || c === '，')) {
      parts.push(s.slice(start, i))
      start = i + 1
    }
  }
  parts.push(s.slice(start))
  return parts
}

const fullWidth = (s: string) => s.replace(/\(/g, '（').replace(/\)/g, '）').replace(/,/g, '，')

/** Names that are complete as written, whatever the list around them says. */
const STANDS_ALONE = /^(省|各|海关总署)/
const DEPARTMENT_NAME = new RegExp(`^[${CJK}]+(（[${CJK}]+）)?$`)

/**
 * Reads a clause such as "省工商局牵头，省农业厅、工商局配合" into departments with roles.
 * A list that starts with 省 lends 省 to the shorthand names after it; "X等各有关部门" is X plus 各有关部门.
 */
export function parseDepartmentClause(inner: string, lineNo: number): TaskDepartment[] {
  const out: TaskDepartment[] = []
  let pending: string[] = []
  let provincial = false
  const fail = (expected: string, found: string): never => {
    throw new SeedFormatError(lineNo, expected, found)
  }
  const addName = (raw: string) => {
    if (!raw) fail('a department name in the clause', inner)
    for (const piece of splitEtc(raw)) {
      if (!DEPARTMENT_NAME.test(piece)) fail('a department name', piece)
      let name = piece
      if (!STANDS_ALONE.test(name)) {
        if (!provincial) fail('a department whose level is known (a list starting with 省)', piece)
        name = `省${name}`
      }
      if (name.startsWith('省')) provincial = true
      pending.push(name)
    }
  }
  for (const item of splitTopLevel(fullWidth(inner))) {
    const roleWord = Object.keys(ROLE_WORDS).find((w) => item.endsWith(w))
    addName(roleWord ? item.slice(0, -roleWord.length) : item)
    if (roleWord) {
      for (const name of pending) {
        if (out.some((d) => d.name === name)) fail('each department once per task', name)
        out.push({ name, role: ROLE_WORDS[roleWord]! })
      }
      pending = []
    }
  }
  if (pending.length > 0) fail('a role (牵头, 负责 or 配合) after the departments', inner)
  return out
}

function splitEtc(name: string): string[] {
  const at = name.indexOf('等各')
  return at > 0 ? [name.slice(0, at), name.slice(at + 1)] : [name]
}

/** Index of the bracket that opens the clause closing the text, or -1 when the text does not end in one. */
function trailingClauseStart(text: string): number {
  if (!/[）)]$/.test(text)) return -1
  let depth = 0
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text[i]
    if (c === '）' || c === ')') depth++
    else if (c === '（' || c === '(') {
      depth--
      if (depth === 0) return i
    }
  }
  return -1
}

/**
 * The last section's tasks name their departments in the text instead of a clause:
 * "各地要…", "省知识产权局负责统筹…。各地级以上市人民政府负责…". Each sentence that opens with such a subject
 * counts; the first sentence must.
 */
const SUBJECT_RE = new RegExp(`^(各地(?=要)|[省各][${CJK}]{1,18}?(?:局|厅|委|院|办|署|政府|部门|单位)(?=负责|要))`)

function departmentsFromText(text: string, lineNo: number): TaskDepartment[] {
  const sentences = text.split('。').filter(Boolean)
  const out: TaskDepartment[] = []
  sentences.forEach((sentence, i) => {
    const m = SUBJECT_RE.exec(sentence)
    if (!m) {
      if (i === 0)
        throw new SeedFormatError(
          lineNo,
          'a department clause in brackets, or a text that opens with who is responsible',
          text,
        )
      return
    }
    if (!out.some((d) => d.name === m[1])) out.push({ name: m[1]!, role: 'responsible' })
  })
  return out
}

function buildTask(number: number, sectionId: number, lines: Line[]): Task {
  const first = lines[0]!
  const last = lines.at(-1)!
  // Every line break inside a task is a page or paragraph break of the conversion, never part of the text.
  const whole = lines.map((l) => l.text).join('')
  const start = trailingClauseStart(whole)
  if (start < 0) {
    if (/[）)]$/.test(whole)) throw new SeedFormatError(last.no, 'a balanced department clause', whole)
    return { number, sectionId, text: whole, clause: '', departments: departmentsFromText(whole, first.no) }
  }
  const clause = whole.slice(start)
  const text = whole.slice(0, start)
  if (!text) throw new SeedFormatError(first.no, `the text of task ${number}`, whole)
  return { number, sectionId, text, clause, departments: parseDepartmentClause(clause.slice(1, -1), last.no) }
}

function parseTasks(cur: Cursor): { sections: Section[]; tasks: Task[] } {
  const sections: Section[] = []
  const tasks: Task[] = []
  let open: { number: number; sectionId: number; lines: Line[] } | undefined
  let sectionHeading: Line | undefined
  const close = () => {
    if (open) tasks.push(buildTask(open.number, open.sectionId, open.lines))
    open = undefined
  }
  for (let line = cur.peek(); line && !FOOTER_RE.test(line.text); line = cur.peek()) {
    cur.take('', () => true)
    const section = SECTION_RE.exec(line.text)
    const task = TASK_RE.exec(line.text)
    if (section) {
      close()
      const expected = NUMERALS[sections.length]
      if (section[1] !== expected) throw new SeedFormatError(line.no, `section (${expected ?? '?'})`, line.text)
      if (sectionHeading && tasks.at(-1)?.sectionId !== sections.length) {
        throw new SeedFormatError(
          line.no,
          `a task in section (${sections.at(-1)!.ordinal}) before the next section`,
          line.text,
        )
      }
      sections.push({ id: sections.length + 1, ordinal: section[1]!, title: section[2]!.trim() })
      sectionHeading = line
    } else if (task) {
      close()
      const number = Number(task[1])
      const expected = tasks.length + 1
      if (number !== expected) throw new SeedFormatError(line.no, `task ${expected}`, line.text)
      if (!sectionHeading) throw new SeedFormatError(line.no, 'a section heading (一) before the first task', line.text)
      open = { number, sectionId: sections.length, lines: [{ no: line.no, text: task[2]!.trim() }] }
    } else {
      if (!open) throw new SeedFormatError(line.no, 'a task "N. …" after the section heading', line.text)
      open.lines.push(line)
    }
  }
  close()
  if (sections.length === 0) throw new SeedFormatError(cur.lastLineNo(), 'section (一)', '')
  if (tasks.at(-1)?.sectionId !== sections.length) {
    throw new SeedFormatError(cur.lastLineNo(), `a task in section (${sections.at(-1)!.ordinal})`, '')
  }
  return { sections, tasks }
}

/** Turns the seed document into its header, sections and tasks. Throws SeedFormatError on any surprise. */
export function parseSeed(source: string): ParsedSeed {
  const lines: Line[] = source
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((text, i) => ({ no: i + 1, text: text.trim() }))
    .filter((l) => l.text !== '')
  const cur = new Cursor(lines)
  const { document } = parseHeader(cur)
  const body = parseTasks(cur)
  const footer = cur.take('the closing line 公开方式：…', (t) => FOOTER_RE.test(t))
  document.disclosure = FOOTER_RE.exec(footer.text)![1]!
  const extra = cur.peek()
  if (extra) throw new SeedFormatError(extra.no, 'the end of the document after 公开方式', extra.text)
  return { document, ...body }
}
