import { Dexie, type Table } from 'dexie'
import type { Department, DocumentInfo, Section, Task } from '@/dataset/types'

/** The one row that says which dataset the tables hold. */
export interface DatasetMeta {
  key: 'dataset'
  version: string
  document: DocumentInfo
  importedAt: number
}

export interface Bookmark {
  taskNumber: number
  createdAt: number
}

export class ZhixunDB extends Dexie {
  meta!: Table<DatasetMeta, string>
  sections!: Table<Section, number>
  tasks!: Table<Task, number>
  departments!: Table<Department, string>
  bookmarks!: Table<Bookmark, number>

  constructor(name = 'zhixun') {
    // 'strict' makes Chromium flush to disk before a write reports success: a phone may die right after.
    super(name, { chromeTransactionDurability: 'strict' })
    this.version(1).stores({
      meta: 'key',
      sections: 'id',
      tasks: 'number, sectionId',
      departments: 'name',
      bookmarks: 'taskNumber, createdAt',
    })
  }
}

export const db = new ZhixunDB()
