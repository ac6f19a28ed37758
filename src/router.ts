import { createRouter, createWebHistory, START_LOCATION, type RouterHistory } from 'vue-router'

declare module 'vue-router' {
  interface RouteMeta {
    /** The page shows nothing but the first screen's messages at first: it opens without waiting for the rest. */
    firstScreenMessages?: boolean
  }
}
import HomePage from '@/pages/HomePage.vue'

export function createAppRouter(history: RouterHistory = createWebHistory()) {
  return createRouter({
    history,
    // A page just loaded is at the top already: no scroll (and no layout forced before the first paint) for it.
    scrollBehavior: (_to, from, saved) => saved ?? (from === START_LOCATION ? false : { top: 0 }),
    routes: [
      { path: '/', name: 'home', component: HomePage, meta: { firstScreenMessages: true } },
      {
        path: '/sections/:id(\\d+)',
        name: 'section',
        component: () => import('@/pages/SectionPage.vue'),
        props: (r) => ({ id: Number(r.params.id) }),
      },
      {
        path: '/tasks/:number(\\d+)',
        name: 'task',
        component: () => import('@/pages/TaskPage.vue'),
        props: (r) => ({ number: Number(r.params.number) }),
        // Opened from links handed on: the task shows with the first screen's messages, its notes load after.
        meta: { firstScreenMessages: true },
      },
      { path: '/departments', name: 'departments', component: () => import('@/pages/DepartmentsPage.vue') },
      {
        path: '/departments/:name',
        name: 'department',
        component: () => import('@/pages/DepartmentPage.vue'),
        props: true,
      },
      { path: '/search', name: 'search', component: () => import('@/pages/SearchPage.vue') },
      { path: '/checkins/new', name: 'checkin-new', component: () => import('@/pages/CheckInNewPage.vue') },
      { path: '/checkins/:id', name: 'checkin', component: () => import('@/pages/CheckInPage.vue'), props: true },
      {
        path: '/checkins/:checkInId/inspection',
        name: 'inspection-new',
        component: () => import('@/pages/InspectionPage.vue'),
        props: true,
      },
      {
        path: '/inspections/:id',
        name: 'inspection',
        component: () => import('@/pages/InspectionPage.vue'),
        props: true,
      },
      { path: '/records', name: 'records', component: () => import('@/pages/RecordsPage.vue') },
      { path: '/campaigns', name: 'campaigns', component: () => import('@/pages/CampaignsPage.vue') },
      { path: '/campaigns/new', name: 'campaign-new', component: () => import('@/pages/CampaignEditPage.vue') },
      {
        path: '/campaigns/:id/edit',
        name: 'campaign-edit',
        component: () => import('@/pages/CampaignEditPage.vue'),
        props: true,
      },
      {
        path: '/campaigns/:id/report',
        name: 'campaign-report',
        component: () => import('@/pages/CampaignReportPage.vue'),
        props: true,
      },
      { path: '/campaigns/:id', name: 'campaign', component: () => import('@/pages/CampaignPage.vue'), props: true },
      { path: '/coverage', name: 'coverage', component: () => import('@/pages/CoveragePage.vue') },
      { path: '/parties', name: 'parties', component: () => import('@/pages/PartiesPage.vue') },
      { path: '/parties/:id', name: 'party', component: () => import('@/pages/PartyPage.vue'), props: true },
      { path: '/certificate', name: 'certificate', component: () => import('@/pages/CertificatePage.vue') },
      { path: '/admin/users', name: 'users', component: () => import('@/pages/UsersPage.vue') },
      { path: '/audit', name: 'audit', component: () => import('@/pages/AuditPage.vue') },
      { path: '/signin', name: 'signin', component: () => import('@/pages/SignInPage.vue') },
      { path: '/settings', name: 'settings', component: () => import('@/pages/SettingsPage.vue') },
      { path: '/about', name: 'about', component: () => import('@/pages/AboutPage.vue') },
      { path: '/:rest(.*)*', name: 'not-found', component: () => import('@/pages/NotFoundPage.vue') },
    ],
  })
}
