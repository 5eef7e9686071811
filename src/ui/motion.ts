/** Smooth scrolling, unless the user asks for less motion (prefers-reduced-motion, WCAG 2.3.3). */
export const scrolling = (): ScrollBehavior => (matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth');
