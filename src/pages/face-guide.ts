/**
 * The oval face guide of the demo page, in pixels of the camera frame. The page sends the whole
 * frame with `box` = the oval's bounding box, so the service crops around the oval with the
 * model's own crop scale. Shared by the page script and the browser tests that build fake camera
 * streams, so both agree on where the face goes.
 */
export interface FaceGuide {
  /** [x, y, width, height] of the oval's bounding box, integers inside the frame. */
  readonly box: [number, number, number, number];
  readonly cx: number;
  readonly cy: number;
  readonly rx: number;
  readonly ry: number;
}

/** Oval height as a share of the frame height, and width as a share of the oval height. */
const HEIGHT_SHARE = 0.62;
const ASPECT = 0.78;
/** The oval never takes more than this share of the frame width (portrait cameras). */
const MAX_WIDTH_SHARE = 0.8;

export function faceGuide(frameWidth: number, frameHeight: number): FaceGuide {
  let h = Math.round(frameHeight * HEIGHT_SHARE);
  let w = Math.round(h * ASPECT);
  if (w > frameWidth * MAX_WIDTH_SHARE) {
    w = Math.round(frameWidth * MAX_WIDTH_SHARE);
    h = Math.min(Math.round(w / ASPECT), frameHeight);
  }
  const x = Math.floor((frameWidth - w) / 2);
  const y = Math.floor((frameHeight - h) / 2);
  return { box: [x, y, w, h], cx: x + w / 2, cy: y + h / 2, rx: w / 2, ry: h / 2 };
}
