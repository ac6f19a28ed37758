/**
 * English words for the plan's key topics, each with the Chinese terms the task text uses for it, so an
 * inspector reading the English interface can search the Chinese text. Keys are lower case.
 */
export const GLOSSARY: Readonly<Record<string, readonly string[]>> = {
  'trade fair': ['展会'],
  exhibition: ['展会'],
  expo: ['展会'],
  customs: ['海关'],
  counterfeit: ['假冒'],
  fake: ['假冒'],
  infringement: ['侵权'],
  piracy: ['盗版'],
  copyright: ['版权'],
  patent: ['专利'],
  trademark: ['商标'],
  brand: ['品牌'],
  'geographical indication': ['地理标志'],
  'plant variety': ['植物新品种'],
  software: ['软件'],
  internet: ['互联网', '网络'],
  online: ['网络', '互联网'],
  'e-commerce': ['电子商务'],
  enforcement: ['执法'],
  crackdown: ['打击'],
  'intellectual property': ['知识产权'],
  ip: ['知识产权'],
  'rights protection': ['维权'],
  'legal aid': ['援助'],
  court: ['法院'],
  judicial: ['司法'],
  police: ['公安'],
  market: ['市场'],
  'import and export': ['进出口'],
  standard: ['标准'],
  training: ['培训'],
  talent: ['人才'],
  agriculture: ['农业'],
  forestry: ['林业'],
  culture: ['文化'],
  inspection: ['检查'],
  report: ['举报'],
  complaint: ['投诉'],
  mediation: ['调解'],
  arbitration: ['仲裁'],
  pledge: ['质押'],
  financing: ['融资'],
  database: ['数据库'],
  international: ['国际'],
  overseas: ['海外'],
  service: ['服务'],
}

/**
 * The Chinese terms an English query names: a key it equals (a plural too) or, from three letters on, a
 * key it begins, so results appear while the word is being typed.
 */
export function glossaryTerms(query: string): string[] {
  const q = query.replace(/\s+/g, ' ')
  const singular = q.endsWith('s') ? q.slice(0, -1) : q
  const terms = new Set<string>()
  for (const [english, chinese] of Object.entries(GLOSSARY)) {
    if (english === q || english === singular || (q.length >= 3 && english.startsWith(q))) {
      for (const term of chinese) terms.add(term)
    }
  }
  return [...terms]
}
