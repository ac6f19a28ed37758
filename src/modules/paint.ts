/**
 * Resolves once the frame being prepared has been painted and the page is idle (at most half a second later):
 * work started then, a chunk fetched or a worker registered, does not delay what the page is showing.
 */
export const afterPaint = (): Promise<void> =>
  new Promise((resolve) =>
    requestAnimationFrame(() =>
      setTimeout(() => {
        // Safari has no requestIdleCallback: the frame after is all it waits for.
        if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 500 })
        else resolve()
      }, 0),
    ),
  )
