// Paperboy's only script: it improves two form fields and every page works without it.
(() => {
  // Time zone: fill in the browser's own zone where the server could only guess UTC.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const input of document.querySelectorAll('input[data-detect-timezone]')) {
    if (zone && input.value === 'UTC') input.value = zone;
  }

  // Topic filter: show only the topics whose name contains what is typed; hide emptied groups.
  const filter = document.querySelector('[data-topic-filter]');
  if (!filter) return;
  const field = filter.querySelector('input');
  filter.hidden = false;
  field.addEventListener('input', () => {
    const query = field.value.trim().toLowerCase();
    for (const group of document.querySelectorAll('[data-topic-group]')) {
      let shown = 0;
      for (const label of group.querySelectorAll('[data-topic-name]')) {
        const match = label.dataset.topicName.toLowerCase().includes(query);
        label.hidden = !match;
        if (match) shown++;
      }
      group.hidden = shown === 0;
    }
  });
})();
