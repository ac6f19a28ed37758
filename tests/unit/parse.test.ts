import { describe, expect, it } from 'vitest'
import { parseSeed, SeedFormatError } from '../../src/dataset/parse'
import type { Role } from '../../src/kernel/dataset'
import { alteredSeed, lineOf, seedText } from '../helpers/seed'

const parsed = parseSeed(seedText)
const task = (n: number) => parsed.tasks[n - 1]!
const depts = (n: number) => task(n).departments.map((d) => `${d.name}:${d.role}`)

describe('the real seed', () => {
  it('has 9 sections and tasks 1..160 in order', () => {
    expect(parsed.sections.map((s) => s.ordinal).join('')).toBe('一二三四五六七八九')
    expect(parsed.tasks.map((t) => t.number)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1))
  })

  it('puts each task in its section', () => {
    const ranges = parsed.sections.map((s) => {
      const numbers = parsed.tasks.filter((t) => t.sectionId === s.id).map((t) => t.number)
      return [s.ordinal, Math.min(...numbers), Math.max(...numbers), numbers.length]
    })
    expect(ranges).toEqual([
      ['一', 1, 10, 10],
      ['二', 11, 46, 36],
      ['三', 47, 61, 15],
      ['四', 62, 82, 21],
      ['五', 83, 102, 20],
      ['六', 103, 127, 25],
      ['七', 128, 145, 18],
      ['八', 146, 157, 12],
      ['九', 158, 160, 3],
    ])
    expect(parsed.sections[0]).toEqual({ id: 1, ordinal: '一', title: '谋划知识产权科学发展' })
    expect(parsed.sections[8]!.title).toBe('加强知识产权战略纲要实施与监督')
  })

  it('reads the document header', () => {
    const d = parsed.document
    expect(d.number).toBe('粤府知办〔2016〕17号')
    expect(d.date).toBe('2016-09-01')
    expect(d.issuer).toBe('广东省人民政府知识产权办公会议办公室')
    expect(d.title).toBe('广东省人民政府知识产权办公会议办公室关于印发2016年实施广东省知识产权战略纲要工作要点的通知')
    expect(d.workPointsTitle).toBe('2016年实施广东省知识产权战略纲要工作要点')
    expect(d.guidingThought).toMatch(/^全面贯彻落实党的十八大/)
    expect(d.principles.map((p) => p.title)).toEqual(['坚持改革创新', '坚持需求导向', '坚持全面发展', '坚持开放协作'])
    expect(d.disclosure).toBe('主动公开')
  })

  it('repairs page breaks inside a task and leaves no debris in any text', () => {
    expect(task(14).text).toContain('重点检查种苗交易集中的区域')
    expect(task(9).text).toContain('建设知识城知识产权国际智库。')
    expect(task(48).text).toContain('共建国家重大科技基础设施领导机制')
    for (const t of parsed.tasks) {
      expect(t.text, `task ${t.number}`).not.toMatch(/\n|\r|^\s|\s$/)
      expect(t.text, `task ${t.number}`).not.toMatch(/(牵头|负责|配合)[)）]$/)
      expect(t.text, `task ${t.number}`).not.toContain('公开方式')
      expect(t.text, `task ${t.number}`).toMatch(/[。；;，]$/)
    }
  })

  it('keeps the source wording and typos', () => {
    expect(task(62).text).toContain('4G 和移动互联网')
    expect(task(153).text).toContain('在知识产权保护、运用、保护、培训等领域')
    expect(task(116).text).toContain('(2013-2020年)')
  })

  it('gives every task departments, named in full', () => {
    for (const t of parsed.tasks) {
      expect(t.departments.length, `task ${t.number}`).toBeGreaterThan(0)
      for (const d of t.departments) {
        expect(d.name, `task ${t.number}`).toMatch(/^(省|各|海关总署广东分署$)/)
        expect(d.name, `task ${t.number}`).not.toMatch(/[()]/)
      }
    }
  })

  const cases: [number, string[]][] = [
    [1, ['省知识产权局:lead', '各有关单位:cooperating']],
    [3, ['各级知识产权相关职能部门:responsible']],
    [11, ['省公安厅:responsible']],
    [
      18,
      [
        '省工商局:responsible',
        '省新闻出版广电局（版权局）:responsible',
        '省司法厅:responsible',
        '省知识产权局:responsible',
        '各有关部门:responsible',
      ],
    ],
    [22, ['省质监局:lead', '省农业厅:cooperating', '省工商局:cooperating']],
    [25, ['省新闻出版广电局（版权局）:lead', '省文化厅:cooperating', '省公安厅:cooperating']],
    [38, ['海关总署广东分署:responsible']],
    [39, ['海关总署广东分署:lead', '省工商局:cooperating', '省知识产权局:cooperating']],
    [43, ['省法院:responsible', '省检察院:responsible']],
    [
      44,
      [
        '省检察院:lead',
        '省公安厅:cooperating',
        '省监察厅:cooperating',
        '省法制办:cooperating',
        '各有关部门:cooperating',
      ],
    ],
    [48, ['省发展改革委:responsible', '省科技厅:responsible']],
    [54, ['省工商局:lead', '省农业厅:cooperating']],
    [63, ['省教育厅:lead', '各有关单位:responsible']],
    [71, ['省商务厅:lead', '各有关单位:responsible']],
    [87, ['省国资委:lead', '省科技厅:cooperating']],
    [112, ['省新闻出版广电局（版权局）:responsible']],
    [
      131,
      [
        '省人力资源和社会保障厅:lead',
        '省工商局:cooperating',
        '省新闻出版广电局（版权局）:cooperating',
        '省知识产权局:cooperating',
      ],
    ],
    [
      153,
      [
        '省知识产权局:lead',
        '省公安厅:cooperating',
        '省商务厅:cooperating',
        '省工商局:cooperating',
        '省新闻出版广电局（版权局）:cooperating',
        '海关总署广东分署:cooperating',
      ],
    ],
    [158, ['各地:responsible']],
    [159, ['各地:responsible']],
    [160, ['省知识产权局:responsible', '各地级以上市人民政府:responsible']],
  ]
  it.each(cases)('task %i has the right departments and roles', (n, expected) => {
    expect(depts(n)).toEqual(expected)
  })

  it('keeps the clause as the source wrote it, and none for the tasks that name departments in the text', () => {
    expect(task(112).clause).toBe('（省新闻出版广电局（版权局)负责)')
    expect(task(39).clause).toBe('(海关总署广东分署牵头,省工商局、知识产权局配合)')
    expect([158, 159, 160].map((n) => task(n).clause)).toEqual(['', '', ''])
    expect(task(160).text).toMatch(/^省知识产权局负责统筹/)
  })

  it('counts 160 lead-or-responsible assignments at least once per task', () => {
    const roles = new Set<Role>(parsed.tasks.flatMap((t) => t.departments.map((d) => d.role)))
    expect([...roles].sort()).toEqual(['cooperating', 'lead', 'responsible'])
    for (const t of parsed.tasks)
      expect(
        t.departments.some((d) => d.role !== 'cooperating'),
        `task ${t.number}`,
      ).toBe(true)
  })
})

describe('a seed of another shape', () => {
  function failure(source: string): SeedFormatError {
    try {
      parseSeed(source)
    } catch (err) {
      if (err instanceof SeedFormatError) return err
      throw err
    }
    throw new Error('parsed without complaint')
  }

  it('fails on a missing task, naming the line and the task it expected', () => {
    const skipped = alteredSeed('5. 编制实施广东知识产权事业发展', '6. 编制实施广东知识产权事业发展')
    const e2 = failure(skipped)
    expect(e2.line).toBe(lineOf(skipped, '6. 编制实施广东知识产权事业发展'))
    expect(e2.expected).toBe('task 5')
    expect(e2.message).toBe(
      `seed line ${e2.line}: expected task 5, found "6. 编制实施广东知识产权事业发展“十三五”规划，科学设置工作目标、工作任务和工…"`,
    )
  })

  it('fails on tasks out of order', () => {
    const source = alteredSeed('29. 支持行业协会等单位', '31. 支持行业协会等单位')
    const err = failure(source)
    expect(err.expected).toBe('task 29')
    expect(err.line).toBe(lineOf(source, '31. 支持行业协会等单位'))
  })

  it('fails on a department clause it cannot read', () => {
    const noRole = alteredSeed('（省林业厅负责）', '（省林业厅）')
    expect(failure(noRole).expected).toMatch(/role/)
    const unknownLevel = alteredSeed('（省文化厅负责）', '（文化厅负责）')
    const err = failure(unknownLevel)
    expect(err.expected).toMatch(/level/)
    expect(err.line).toBe(lineOf(unknownLevel, '（文化厅负责）'))
    const unbalanced = alteredSeed('（省工商局负责）\n\n18.', '省工商局负责）\n\n18.')
    expect(failure(unbalanced).expected).toMatch(/balanced/)
    const junk = alteredSeed('（省商务厅牵头、各有关单位配合）', '（省商务厅牵头、Ministry of Commerce配合）')
    expect(failure(junk).expected).toBe('a department name')
  })

  it('fails on a task with no clause and no subject', () => {
    const source = alteredSeed('（省知识产权局负责）\n\n8.', '\n\n8.')
    const err = failure(source)
    expect(err.expected).toMatch(/department clause/)
    expect(err.line).toBe(lineOf(source, '7. 加强省部合作'))
  })

  it('fails on a department named twice in one task', () => {
    expect(failure(alteredSeed('(省法院、检察院负责)', '(省法院、法院负责)')).expected).toMatch(/once/)
  })

  it('fails on a section with no tasks', () => {
    const source = alteredSeed('(二) 加大知识产权保护力度', '(二) 加大知识产权保护力度\n\n(三) 空的部分')
    const err = failure(source)
    expect(err.line).toBe(lineOf(source, '(三) 空的部分'))
    expect(err.expected).toMatch(/a task in section \(二\)/)
  })

  it('fails on a section out of order and on text before the first task', () => {
    expect(failure(alteredSeed('（四）强化知识产权运用转化', '（五）强化知识产权运用转化')).expected).toBe(
      'section (四)',
    )
    const stray = alteredSeed('(一) 谋划知识产权科学发展\n\n', '(一) 谋划知识产权科学发展\n\n一段多余的文字\n\n')
    expect(failure(stray).expected).toMatch(/a task "N\. …"/)
  })

  it('fails on a missing header part and on text after the closing line', () => {
    expect(failure(alteredSeed('粤府知办〔2016〕17号', '粤府知办17号')).expected).toMatch(/document number/)
    expect(failure(alteredSeed('2016年9月1日', '2016年9月')).expected).toMatch(/date/)
    expect(failure(`${seedText}\n\n附件：多余`).expected).toMatch(/end of the document/)
    expect(failure(seedText.replace('公开方式：主动公开', '')).expected).toMatch(/公开方式/)
  })
})
