/** Shows a generated image (composite, mosaic) with a download link. */
export function ImageResult({ url, filename, mime }: { url: string | null; filename: string; mime: string }) {
  if (!url) return null;
  return (
    <div className="panel">
      {mime.startsWith('image/') ? (
        <img src={url} alt="Generated result" data-testid="generated-image" style={{ maxWidth: '100%', background: '#000' }} />
      ) : (
        <p>FITS file ready.</p>
      )}
      <p><a href={url} download={filename}>Download {filename}</a></p>
    </div>
  );
}
