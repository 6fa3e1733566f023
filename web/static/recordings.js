// Recording players: a click on the waveform seeks the audio to that point (the picture
// runs left to right in time, in both page directions).
for (const player of document.querySelectorAll(".player")) {
  const audio = player.querySelector("audio");
  const wave = player.querySelector("svg.waveform");
  if (!audio || !wave) continue;
  wave.addEventListener("click", (event) => {
    const box = wave.getBoundingClientRect();
    if (!Number.isFinite(audio.duration) || box.width === 0) return;
    const share = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
    audio.currentTime = share * audio.duration;
  });
}
