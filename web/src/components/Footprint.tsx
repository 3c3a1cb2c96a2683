/** A small drawing of an observation's sky footprint from MAST's s_region (POLYGON / CIRCLE). */
export function Footprint({ region }: { region?: string | null }) {
  if (!region) return <span className="muted">—</span>;
  const nums = region.replace(/[a-z]+/gi, ' ').trim().split(/\s+/).map(Number).filter(Number.isFinite);
  const isCircle = /circle/i.test(region);
  if (isCircle && nums.length >= 3) {
    return (
      <svg className="footprint" viewBox="0 0 48 48" role="img" aria-label={`footprint: circle of radius ${nums[2]} deg`}>
        <circle cx="24" cy="24" r="18" fill="rgba(88,166,255,0.25)" stroke="#58a6ff" />
      </svg>
    );
  }
  if (nums.length < 6) return <span className="muted">—</span>;
  const pts: Array<[number, number]> = [];
  const ra0 = nums[0] ?? 0;
  for (let i = 0; i + 1 < nums.length; i += 2) {
    let ra = nums[i] ?? 0;
    if (ra - ra0 > 180) ra -= 360;
    if (ra - ra0 < -180) ra += 360;
    pts.push([ra, nums[i + 1] ?? 0]);
  }
  const dec0 = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const cosd = Math.cos((dec0 * Math.PI) / 180) || 1;
  const xs = pts.map((p) => -p[0] * cosd); // east to the left
  const ys = pts.map((p) => -p[1]);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const span = Math.max(maxX - minX, maxY - minY) || 1;
  const path = xs.map((x, i) => `${4 + ((x - minX) / span) * 40},${4 + (((ys[i] ?? 0) - minY) / span) * 40}`).join(' ');
  return (
    <svg className="footprint" viewBox="0 0 48 48" role="img" aria-label="footprint polygon">
      <polygon points={path} fill="rgba(88,166,255,0.25)" stroke="#58a6ff" />
    </svg>
  );
}
