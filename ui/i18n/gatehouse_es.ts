<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES">
<context>
    <name>BoxOfficeMessage</name>
    <message numerus="yes">
        <location filename="../box_office/messages.py" line="25"/>
        <source>Only %n walk-up %1 ticket(s) left on this counter (asked for %2): sell fewer, or sync to get more</source>
        <translation>
            <numerusform>Solo queda %n entrada %1 de venta directa en esta taquilla (se pidieron %2): venda menos o sincronice para conseguir más</numerusform>
            <numerusform>Solo quedan %n entradas %1 de venta directa en esta taquilla (se pidieron %2): venda menos o sincronice para conseguir más</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="48"/>
        <source>No walk-up %1 tickets left on this counter: its allocation is used up. Sync to get more, or ask the organizer to raise it</source>
        <translation>No quedan entradas %1 de venta directa en esta taquilla: su cupo está agotado. Sincronice para conseguir más o pida al organizador que lo amplíe</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="57"/>
        <source>Cash given (%1) is less than the amount due (%2): %3 short</source>
        <translation>El efectivo entregado (%1) es menor que el importe a pagar (%2): faltan %3</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="66"/>
        <source>The %1 payment (%2) must be the amount due (%3)</source>
        <translation>El pago con %1 (%2) debe ser el importe a pagar (%3)</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="75"/>
        <source>&apos;%1&apos; is not an amount: type it like 25.50</source>
        <translation>«%1» no es un importe: escríbalo como 25.50</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="82"/>
        <source>&apos;%1&apos; has fractions of a cent</source>
        <translation>«%1» tiene fracciones de céntimo</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="87"/>
        <source>No reservation %1 on this counter&apos;s list: check the code, search by name or phone, or sync if it was made in the last minutes</source>
        <translation>No hay ninguna reserva %1 en la lista de esta taquilla: revise el código, busque por nombre o teléfono, o sincronice si se hizo en los últimos minutos</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="96"/>
        <source>Reservation %1 expired: it cannot be paid. The seats may have gone back on sale: sell walk-up tickets instead</source>
        <translation>La reserva %1 ha caducado: no se puede pagar. Puede que los asientos hayan vuelto a la venta: venda entradas de venta directa</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="105"/>
        <source>Reservation %1 was cancelled: it cannot be paid</source>
        <translation>La reserva %1 fue cancelada: no se puede pagar</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="112"/>
        <source>Reservation %1 is already paid: do not take money twice</source>
        <translation>La reserva %1 ya está pagada: no cobre dos veces</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="119"/>
        <source>No tier called %1 in this event (tiers: %2)</source>
        <translation>No hay ninguna categoría llamada %1 en este evento (categorías: %2)</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="124"/>
        <source>none</source>
        <translation>ninguna</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="128"/>
        <source>Sell between %1 and %2 tickets at a time</source>
        <translation>Venda entre %1 y %2 entradas cada vez</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="136"/>
        <source>Payment method must be one of %1</source>
        <translation>El método de pago debe ser uno de estos: %1</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="140"/>
        <source>Every sale names its staff: sign in first</source>
        <translation>Cada venta lleva el nombre de quien la hace: inicie sesión primero</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="143"/>
        <source>Say what the &apos;other&apos; payment was in the reference</source>
        <translation>Indique en la referencia qué fue el pago «Otro»</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="146"/>
        <source>This counter has no ticket list yet. Pair it as a box office and sync once.</source>
        <translation>Esta taquilla aún no tiene lista de entradas. Emparéjela como taquilla y sincronice una vez.</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="150"/>
        <source>This counter has no issuing key: it must be paired as a box office and synced once before it can issue tickets</source>
        <translation>Esta taquilla no tiene clave de emisión: debe emparejarse como taquilla y sincronizarse una vez antes de poder emitir entradas</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="155"/>
        <source>This counter&apos;s issuing key is not certified yet: sync once with the server so door kiosks will accept its tickets</source>
        <translation>La clave de emisión de esta taquilla aún no está certificada: sincronice una vez con el servidor para que los quioscos de acceso acepten sus entradas</translation>
    </message>
    <message>
        <location filename="../box_office/messages.py" line="160"/>
        <source>This counter&apos;s issuing key was withdrawn by the organizer: it cannot issue tickets any more</source>
        <translation>El organizador retiró la clave de emisión de esta taquilla: ya no puede emitir entradas</translation>
    </message>
</context>
<context>
    <name>BoxOfficeWindow</name>
    <message>
        <location filename="../box_office/window.py" line="216"/>
        <source>Gatehouse box office</source>
        <translation>Gatehouse taquilla</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="217"/>
        <source>Sign out</source>
        <translation>Cerrar sesión</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="218"/>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="220"/>
        <source>Reservations</source>
        <translation>Reservas</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="220"/>
        <source>Walk-up sale</source>
        <translation>Venta directa</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="220"/>
        <source>Cash-up</source>
        <translation>Cierre de caja</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="223"/>
        <source>Reservation code, name or phone</source>
        <translation>Código de reserva, nombre o teléfono</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="224"/>
        <source>Find</source>
        <translation>Buscar</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="225"/>
        <source>Name on the tickets (optional)</source>
        <translation>Nombre en las entradas (opcional)</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="226"/>
        <source>Tier</source>
        <translation>Categoría</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="227"/>
        <source>Tickets</source>
        <translation>Entradas</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="296"/>
        <source>Box office · %1</source>
        <translation>Taquilla · %1</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="298"/>
        <source>Box office · no event yet</source>
        <translation>Taquilla · todavía sin evento</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="309"/>
        <location filename="../box_office/window.py" line="650"/>
        <source>Paired. Downloading the ticket list...</source>
        <translation>Vinculado. Descargando la lista de entradas...</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="331"/>
        <source>%1 is not on the box-office staff</source>
        <translation>%1 no forma parte del personal de taquilla</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="340"/>
        <source>Wrong PIN: %1 tries left</source>
        <translation>PIN incorrecto: quedan %1 intentos</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="342"/>
        <source>Too many wrong PINs: wait %1 s</source>
        <translation>Demasiados PIN incorrectos: espere %1 s</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="392"/>
        <source>No reservation matches: try the code, the phone number or the name</source>
        <translation>Ninguna reserva coincide: pruebe con el código, el teléfono o el nombre</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="432"/>
        <source>Reservation %1 expired: it cannot be paid</source>
        <translation>La reserva %1 ha caducado: no se puede pagar</translation>
    </message>
    <message numerus="yes">
        <location filename="../box_office/window.py" line="462"/>
        <source>%n left</source>
        <translation>
            <numerusform>queda %n</numerusform>
            <numerusform>quedan %n</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="481"/>
        <source>No tiers on this event&apos;s list yet</source>
        <translation>Todavía no hay categorías en la lista de este evento</translation>
    </message>
    <message numerus="yes">
        <location filename="../box_office/window.py" line="487"/>
        <source>%n walk-up ticket(s) left on this counter</source>
        <translation>
            <numerusform>Queda %n entrada de venta directa en esta taquilla</numerusform>
            <numerusform>Quedan %n entradas de venta directa en esta taquilla</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="489"/>
        <source>None left on this counter&apos;s allocation: sync, or ask the organizer</source>
        <translation>No queda cupo en esta taquilla: sincronice o pida más al organizador</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="540"/>
        <source>Save tickets as PDF</source>
        <translation>Guardar entradas como PDF</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="540"/>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="557"/>
        <source>Could not print: %1</source>
        <translation>No se pudo imprimir: %1</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="585"/>
        <source>Export cash-up</source>
        <translation>Exportar cierre de caja</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="587"/>
        <source>CSV (*.csv)</source>
        <translation>CSV (*.csv)</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="612"/>
        <source>Cash-up · %1</source>
        <translation>Cierre de caja · %1</translation>
    </message>
    <message>
        <location filename="../box_office/window.py" line="645"/>
        <source>That code paired a %1 kiosk, not a box office: ask the organizer for a box-office pairing code, or start the door window.</source>
        <translation>Ese código vinculó un quiosco de tipo %1, no una taquilla: pida al organizador un código de vinculación de taquilla o abra la ventana de puerta.</translation>
    </message>
</context>
<context>
    <name>CameraStrip</name>
    <message>
        <location filename="../cameras.py" line="219"/>
        <source>No camera: scan with the hand scanner or find by name</source>
        <translation>Sin cámara: escanee con el lector de mano o busque por nombre</translation>
    </message>
</context>
<context>
    <name>CameraTile</name>
    <message>
        <location filename="../cameras.py" line="176"/>
        <source>LIVE</source>
        <translation>EN VIVO</translation>
    </message>
    <message>
        <location filename="../cameras.py" line="177"/>
        <source>STARTING</source>
        <translation>INICIANDO</translation>
    </message>
    <message>
        <location filename="../cameras.py" line="178"/>
        <source>CAMERA LOST</source>
        <translation>CÁMARA PERDIDA</translation>
    </message>
    <message>
        <location filename="../cameras.py" line="179"/>
        <source>RECONNECTING</source>
        <translation>RECONECTANDO</translation>
    </message>
    <message>
        <location filename="../cameras.py" line="180"/>
        <source>STOPPED</source>
        <translation>DETENIDA</translation>
    </message>
</context>
<context>
    <name>CashUpTable</name>
    <message>
        <location filename="../box_office/panels.py" line="455"/>
        <source>Staff</source>
        <translation>Personal</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="456"/>
        <source>Method</source>
        <translation>Forma de pago</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="457"/>
        <source>Sales</source>
        <translation>Ventas</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="458"/>
        <source>Tickets</source>
        <translation>Entradas</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="459"/>
        <source>Amount</source>
        <translation>Importe</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="464"/>
        <source>Refresh</source>
        <translation>Actualizar</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="465"/>
        <source>Export CSV</source>
        <translation>Exportar CSV</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="466"/>
        <source>Print cash-up</source>
        <translation>Imprimir cierre</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="474"/>
        <source>ALL</source>
        <translation>TODOS</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="489"/>
        <source>Total %1  ·  cash in drawer %2</source>
        <translation>Total %1  ·  efectivo en caja %2</translation>
    </message>
    <message numerus="yes">
        <location filename="../box_office/panels.py" line="494"/>
        <source>%n sale(s) not uploaded yet</source>
        <translation>
            <numerusform>%n venta aún sin subir</numerusform>
            <numerusform>%n ventas aún sin subir</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConfirmDialog</name>
    <message>
        <location filename="../dialogs.py" line="215"/>
        <source>Please confirm</source>
        <translation>Confirme, por favor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="221"/>
        <source>No, keep it</source>
        <translation>No, mantener</translation>
    </message>
</context>
<context>
    <name>CountsPanel</name>
    <message>
        <location filename="../counts.py" line="105"/>
        <source>Admitted</source>
        <translation>Admitidos</translation>
    </message>
    <message>
        <location filename="../counts.py" line="106"/>
        <source>Inside now</source>
        <translation>Dentro ahora</translation>
    </message>
    <message>
        <location filename="../counts.py" line="107"/>
        <source>Capacity</source>
        <translation>Aforo</translation>
    </message>
    <message>
        <location filename="../counts.py" line="108"/>
        <source>Scans / min</source>
        <translation>Lecturas / min</translation>
    </message>
    <message>
        <location filename="../counts.py" line="109"/>
        <source>Last scans (select one and press Ctrl+Z to undo)</source>
        <translation>Últimas lecturas (elija una y pulse Ctrl+Z para deshacer)</translation>
    </message>
    <message>
        <location filename="../counts.py" line="120"/>
        <source>no limit</source>
        <translation>sin límite</translation>
    </message>
    <message>
        <location filename="../counts.py" line="138"/>
        <source>unknown code</source>
        <translation>código desconocido</translation>
    </message>
    <message>
        <location filename="../counts.py" line="141"/>
        <source>(undone)</source>
        <translation>(deshecho)</translation>
    </message>
</context>
<context>
    <name>DoorWindow</name>
    <message>
        <location filename="../door_window.py" line="194"/>
        <source>Entry / Exit (F4)</source>
        <translation>Entrada / Salida (F4)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="195"/>
        <source>Find by name (F2)</source>
        <translation>Buscar por nombre (F2)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="196"/>
        <source>Override (F6)</source>
        <translation>Autorizar (F6)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="197"/>
        <source>Undo admit (Ctrl+Z)</source>
        <translation>Deshacer entrada (Ctrl+Z)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="198"/>
        <source>Settings (F9)</source>
        <translation>Ajustes (F9)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="199"/>
        <source>Lock (F12)</source>
        <translation>Bloquear (F12)</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="212"/>
        <source>Gate %1</source>
        <translation>Puerta %1</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="216"/>
        <source>EXIT</source>
        <translation>SALIDA</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="216"/>
        <source>ENTRY</source>
        <translation>ENTRADA</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="223"/>
        <source>Signed in: %1</source>
        <translation>Sesión: %1</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="272"/>
        <location filename="../door_window.py" line="563"/>
        <source>Paired. Downloading the ticket list...</source>
        <translation>Emparejado. Descargando la lista de entradas...</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="295"/>
        <source>Sign in first, then scan.</source>
        <translation>Inicie sesión primero y luego escanee.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="330"/>
        <source>This kiosk could not check the code: %1</source>
        <translation>Este quiosco no pudo comprobar el código: %1</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="359"/>
        <source>Too many wrong PINs. Try again in %1 seconds.</source>
        <translation>Demasiados PIN incorrectos. Inténtelo de nuevo en %1 segundos.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="363"/>
        <source>Wrong PIN. %1 tries left before a pause.</source>
        <translation>PIN incorrecto. Quedan %1 intentos antes de una pausa.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="367"/>
        <source>%1 is not a supervisor.</source>
        <translation>%1 no es supervisor.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="371"/>
        <source>Something went wrong: %1</source>
        <translation>Algo salió mal: %1</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="402"/>
        <source>unknown ticket</source>
        <translation>entrada desconocida</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="404"/>
        <source>Admit %1 although: %2</source>
        <translation>Admitir a %1 aunque: %2</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="425"/>
        <source>Select an admitted scan to undo.</source>
        <translation>Elija una entrada admitida para deshacer.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="429"/>
        <source>Too late to undo: only admits of the last %1 minutes.</source>
        <translation>Demasiado tarde: solo se deshacen entradas de los últimos %1 minutos.</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="437"/>
        <source>Undo the admission of %1 at %2?</source>
        <translation>¿Deshacer la entrada de %1 a las %2?</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="438"/>
        <source>Yes, undo it</source>
        <translation>Sí, deshacer</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="486"/>
        <source>Open the kiosk settings</source>
        <translation>Abrir los ajustes del quiosco</translation>
    </message>
    <message>
        <location filename="../door_window.py" line="590"/>
        <source>Close the kiosk</source>
        <translation>Cerrar el quiosco</translation>
    </message>
</context>
<context>
    <name>EntriesChart</name>
    <message>
        <location filename="../counts.py" line="68"/>
        <source>peak %1 / 15 min</source>
        <translation>máximo %1 / 15 min</translation>
    </message>
</context>
<context>
    <name>LoginPage</name>
    <message>
        <location filename="../pages.py" line="220"/>
        <source>Kiosk locked</source>
        <translation>Quiosco bloqueado</translation>
    </message>
    <message>
        <location filename="../pages.py" line="220"/>
        <source>Counter locked</source>
        <translation>Taquilla bloqueada</translation>
    </message>
    <message>
        <location filename="../pages.py" line="222"/>
        <source>Pick your name, type your PIN, press Enter</source>
        <translation>Elija su nombre, escriba su PIN y pulse Intro</translation>
    </message>
    <message>
        <location filename="../pages.py" line="223"/>
        <source>Sign in</source>
        <translation>Iniciar sesión</translation>
    </message>
    <message>
        <location filename="../pages.py" line="234"/>
        <source>No staff on this event&apos;s list yet: wait for the sync.</source>
        <translation>Todavía no hay personal en la lista de este evento: espere a la sincronización.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="244"/>
        <source>Pick your name and type your PIN.</source>
        <translation>Elija su nombre y escriba su PIN.</translation>
    </message>
</context>
<context>
    <name>PairingPage</name>
    <message>
        <location filename="../pages.py" line="128"/>
        <source>Pair this kiosk</source>
        <translation>Emparejar este quiosco</translation>
    </message>
    <message>
        <location filename="../pages.py" line="131"/>
        <source>Scan the pairing QR code from the organizer with the camera or the hand scanner, or type the server address and the pairing code.</source>
        <translation>Escanee el código QR de emparejamiento del organizador con la cámara o el lector de mano, o escriba la dirección del servidor y el código.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="136"/>
        <source>Server</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <location filename="../pages.py" line="137"/>
        <source>Pairing code</source>
        <translation>Código de emparejamiento</translation>
    </message>
    <message>
        <location filename="../pages.py" line="135"/>
        <source>Kiosk name</source>
        <translation>Nombre del quiosco</translation>
    </message>
    <message>
        <location filename="../pages.py" line="119"/>
        <source>Pair this counter</source>
        <translation>Emparejar esta taquilla</translation>
    </message>
    <message>
        <location filename="../pages.py" line="122"/>
        <source>Scan the pairing QR code from the organizer with the hand scanner, or type the server address and the pairing code.</source>
        <translation>Escanee el código QR de emparejamiento del organizador con el lector de mano, o escriba la dirección del servidor y el código.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="126"/>
        <source>Counter name</source>
        <translation>Nombre de la taquilla</translation>
    </message>
    <message>
        <location filename="../pages.py" line="138"/>
        <source>Pair (Enter)</source>
        <translation>Emparejar (Intro)</translation>
    </message>
    <message>
        <location filename="../pages.py" line="152"/>
        <source>Type the server address first.</source>
        <translation>Escriba primero la dirección del servidor.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="156"/>
        <source>Type the pairing code.</source>
        <translation>Escriba el código de emparejamiento.</translation>
    </message>
    <message>
        <location filename="../pages.py" line="159"/>
        <source>Pairing with the server...</source>
        <translation>Emparejando con el servidor...</translation>
    </message>
</context>
<context>
    <name>PaymentPanel</name>
    <message>
        <location filename="../box_office/panels.py" line="57"/>
        <source>Cash</source>
        <translation>Efectivo</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="58"/>
        <source>Card</source>
        <translation>Tarjeta</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="59"/>
        <source>UPI</source>
        <translation>UPI</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="60"/>
        <source>Other</source>
        <translation>Otro</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="267"/>
        <source>Payment method</source>
        <translation>Forma de pago</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="268"/>
        <source>Cash given</source>
        <translation>Efectivo recibido</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="269"/>
        <source>Reference</source>
        <translation>Referencia</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="270"/>
        <source>Cash given, e.g. 60.00</source>
        <translation>Efectivo recibido, p. ej. 60.00</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="272"/>
        <source>Reference: card slip, UPI transaction id, voucher...</source>
        <translation>Referencia: comprobante de tarjeta, id de transacción UPI, vale...</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="275"/>
        <source>Confirm sale and issue tickets</source>
        <translation>Confirmar venta y emitir entradas</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="277"/>
        <source>Confirm payment and issue tickets</source>
        <translation>Confirmar pago y emitir entradas</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="313"/>
        <source>Charge %1 by %2</source>
        <translation>Cobrar %1 con %2</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="321"/>
        <source>Not enough cash</source>
        <translation>Efectivo insuficiente</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="326"/>
        <source>Change %1</source>
        <translation>Cambio %1</translation>
    </message>
</context>
<context>
    <name>ReservationCard</name>
    <message>
        <location filename="../box_office/panels.py" line="67"/>
        <source>Awaiting payment</source>
        <translation>Pendiente de pago</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="68"/>
        <source>PAID</source>
        <translation>PAGADA</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="69"/>
        <source>EXPIRED: cannot be paid</source>
        <translation>CADUCADA: no se puede pagar</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="70"/>
        <source>CANCELLED: cannot be paid</source>
        <translation>CANCELADA: no se puede pagar</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="77"/>
        <source>expired</source>
        <translation>caducada</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="82"/>
        <source>%1 h %2 min %3 s left</source>
        <translation>quedan %1 h %2 min %3 s</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="84"/>
        <source>%1 min %2 s left</source>
        <translation>quedan %1 min %2 s</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="89"/>
        <source>Due %1</source>
        <translation>A pagar %1</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="141"/>
        <source>Find a reservation by code, name or phone</source>
        <translation>Busque una reserva por código, nombre o teléfono</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="160"/>
        <source>%1 x %2 at %3</source>
        <translation>%1 x %2 a %3</translation>
    </message>
</context>
<context>
    <name>SearchDialog</name>
    <message>
        <location filename="../dialogs.py" line="144"/>
        <source>Find a ticket</source>
        <translation>Buscar una entrada</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="148"/>
        <source>Name or ticket number</source>
        <translation>Nombre o número de entrada</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152"/>
        <source>Name</source>
        <translation>Nombre</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152"/>
        <source>Ticket type</source>
        <translation>Tipo de entrada</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152"/>
        <source>Ticket number</source>
        <translation>Número de entrada</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="152"/>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="161"/>
        <source>Admit selected (Enter)</source>
        <translation>Admitir la seleccionada (Intro)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="163"/>
        <source>Close (Esc)</source>
        <translation>Cerrar (Esc)</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="194"/>
        <source>Nobody found. Check the spelling or the number.</source>
        <translation>No se encontró a nadie. Revise el nombre o el número.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../dialogs.py" line="240"/>
        <source>Kiosk settings</source>
        <translation>Ajustes del quiosco</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="243"/>
        <source>One camera per line: 0, /dev/video2, rtsp://...</source>
        <translation>Una cámara por línea: 0, /dev/video2, rtsp://...</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="247"/>
        <source>As paired</source>
        <translation>Según el emparejamiento</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="252"/>
        <source>Play a sound for every verdict</source>
        <translation>Sonido para cada veredicto</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="263"/>
        <source>Cameras</source>
        <translation>Cámaras</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="264"/>
        <source>Server</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="265"/>
        <source>Gate</source>
        <translation>Puerta</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="266"/>
        <source>Sounds</source>
        <translation>Sonidos</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="267"/>
        <source>Verdict shown for</source>
        <translation>Veredicto visible durante</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="268"/>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
</context>
<context>
    <name>SupervisorDialog</name>
    <message>
        <location filename="../dialogs.py" line="57"/>
        <source>Phone died / screen broken</source>
        <translation>Móvil sin batería / pantalla rota</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="58"/>
        <source>Ticket bought at the door today</source>
        <translation>Entrada comprada hoy en taquilla</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="59"/>
        <source>Guest list</source>
        <translation>Lista de invitados</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="60"/>
        <source>Staff or artist</source>
        <translation>Personal o artista</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="65"/>
        <source>Supervisor approval</source>
        <translation>Aprobación del supervisor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="81"/>
        <source>Supervisor</source>
        <translation>Supervisor</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="82"/>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="84"/>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="87"/>
        <source>No supervisor is on this event&apos;s staff list.</source>
        <translation>No hay ningún supervisor en la lista de personal de este evento.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="92"/>
        <source>Approve</source>
        <translation>Aprobar</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="106"/>
        <source>Say why: pick or type a reason.</source>
        <translation>Indique por qué: elija o escriba un motivo.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="110"/>
        <source>Type the PIN.</source>
        <translation>Escriba el PIN.</translation>
    </message>
    <message>
        <location filename="../dialogs.py" line="113"/>
        <source>Checking...</source>
        <translation>Comprobando...</translation>
    </message>
</context>
<context>
    <name>SyncBadge</name>
    <message>
        <location filename="../sync_badge.py" line="43"/>
        <source>no ticket list</source>
        <translation>sin lista de entradas</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="45"/>
        <source>list %1 s old</source>
        <translation>lista de hace %1 s</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="49"/>
        <source>list %1 min old</source>
        <translation>lista de hace %1 min</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="52"/>
        <source>list %1 h old</source>
        <translation>lista de hace %1 h</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="90"/>
        <source>NO SYNC</source>
        <translation>SIN SINCRONIZAR</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="92"/>
        <source>REVOKED</source>
        <translation>REVOCADO</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="93"/>
        <source>this kiosk was removed by the organizer</source>
        <translation>el organizador retiró este quiosco</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="95"/>
        <source>NOT PAIRED</source>
        <translation>SIN EMPAREJAR</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="99"/>
        <source>● ONLINE</source>
        <translation>● EN LÍNEA</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="99"/>
        <source>● OFFLINE</source>
        <translation>● SIN CONEXIÓN</translation>
    </message>
    <message>
        <location filename="../sync_badge.py" line="102"/>
        <source>%1 to upload</source>
        <translation>%1 por subir</translation>
    </message>
</context>
<context>
    <name>TicketPrint</name>
    <message>
        <location filename="../box_office/printing.py" line="100"/>
        <source>Ticket</source>
        <translation>Entrada</translation>
    </message>
    <message>
        <location filename="../box_office/printing.py" line="106"/>
        <source>Walk-up guest</source>
        <translation>Cliente sin reserva</translation>
    </message>
    <message>
        <location filename="../box_office/printing.py" line="118"/>
        <source>Reservation %1</source>
        <translation>Reserva %1</translation>
    </message>
    <message>
        <location filename="../box_office/printing.py" line="122"/>
        <source>Walk-up sale</source>
        <translation>Venta directa</translation>
    </message>
    <message>
        <location filename="../box_office/printing.py" line="127"/>
        <source>Show this code at the entrance. One entry per ticket.</source>
        <translation>Muestre este código en el acceso. Un ingreso por entrada.</translation>
    </message>
</context>
<context>
    <name>TicketsPanel</name>
    <message>
        <location filename="../box_office/panels.py" line="388"/>
        <source>Print tickets</source>
        <translation>Imprimir entradas</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="389"/>
        <source>Save as PDF</source>
        <translation>Guardar como PDF</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="391"/>
        <source>No tickets yet</source>
        <translation>Todavía no hay entradas</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="395"/>
        <source>Reservation %1</source>
        <translation>Reserva %1</translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="397"/>
        <source>Walk-up</source>
        <translation>Venta directa</translation>
    </message>
    <message numerus="yes">
        <location filename="../box_office/panels.py" line="400"/>
        <source>%1: %n ticket(s), paid by %2</source>
        <translation>
            <numerusform>%1: %n entrada, pagada con %2</numerusform>
            <numerusform>%1: %n entradas, pagadas con %2</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../box_office/panels.py" line="406"/>
        <source>Walk-up guest</source>
        <translation>Cliente sin reserva</translation>
    </message>
</context>
<context>
    <name>Verdict</name>
    <message>
        <location filename="../texts.py" line="29"/>
        <source>ADMIT (OVERRIDE)</source>
        <translation>ADMITIDO (AUTORIZADO)</translation>
    </message>
    <message>
        <location filename="../texts.py" line="31"/>
        <source>UNDONE</source>
        <translation>DESHECHO</translation>
    </message>
    <message>
        <location filename="../texts.py" line="33"/>
        <source>ADMIT</source>
        <translation>ADMITIDO</translation>
    </message>
    <message>
        <location filename="../texts.py" line="34"/>
        <source>REJECT</source>
        <translation>RECHAZADO</translation>
    </message>
    <message>
        <location filename="../texts.py" line="35"/>
        <source>CHECK</source>
        <translation>REVISAR</translation>
    </message>
    <message>
        <location filename="../texts.py" line="36"/>
        <source>EXIT</source>
        <translation>SALIDA</translation>
    </message>
    <message>
        <location filename="../texts.py" line="54"/>
        <source>revoked</source>
        <translation>revocada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="55"/>
        <source>cancelled</source>
        <translation>cancelada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="56"/>
        <source>refunded</source>
        <translation>reembolsada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="57"/>
        <source>transferred</source>
        <translation>transferida</translation>
    </message>
    <message>
        <location filename="../texts.py" line="67"/>
        <source>Already inside</source>
        <translation>Ya está dentro</translation>
    </message>
    <message>
        <location filename="../texts.py" line="69"/>
        <source>Already scanned</source>
        <translation>Ya escaneada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="73"/>
        <source>%1 at %2 at %3</source>
        <translation>%1 en %2 a las %3</translation>
    </message>
    <message>
        <location filename="../texts.py" line="80"/>
        <source>%1 at %2</source>
        <translation>%1 a las %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="86"/>
        <source>Ticket %1: not valid any more</source>
        <translation>Entrada %1: ya no es válida</translation>
    </message>
    <message>
        <location filename="../texts.py" line="90"/>
        <source>Not valid yet: from %1</source>
        <translation>Todavía no es válida: desde las %1</translation>
    </message>
    <message>
        <location filename="../texts.py" line="94"/>
        <source>Ticket expired at %1</source>
        <translation>La entrada caducó a las %1</translation>
    </message>
    <message>
        <location filename="../texts.py" line="98"/>
        <source>Wrong entrance for %1</source>
        <translation>Puerta equivocada para %1</translation>
    </message>
    <message>
        <location filename="../texts.py" line="102"/>
        <source>Venue full (%1 inside)</source>
        <translation>Aforo completo (%1 dentro)</translation>
    </message>
    <message>
        <location filename="../texts.py" line="108"/>
        <source>Welcome</source>
        <translation>Bienvenido</translation>
    </message>
    <message>
        <location filename="../texts.py" line="109"/>
        <source>Welcome back</source>
        <translation>Bienvenido de nuevo</translation>
    </message>
    <message>
        <location filename="../texts.py" line="110"/>
        <source>Exit recorded</source>
        <translation>Salida registrada</translation>
    </message>
    <message>
        <location filename="../texts.py" line="111"/>
        <source>Admission undone</source>
        <translation>Entrada deshecha</translation>
    </message>
    <message>
        <location filename="../texts.py" line="112"/>
        <source>Code damaged or not a ticket: scan again or search by name</source>
        <translation>Código dañado o no es una entrada: escanee de nuevo o busque por nombre</translation>
    </message>
    <message>
        <location filename="../texts.py" line="115"/>
        <source>Ticket format too new for this kiosk: use the name search</source>
        <translation>Formato de entrada demasiado nuevo para este quiosco: busque por nombre</translation>
    </message>
    <message>
        <location filename="../texts.py" line="118"/>
        <source>Fake ticket: signature does not match</source>
        <translation>Entrada falsa: la firma no coincide</translation>
    </message>
    <message>
        <location filename="../texts.py" line="119"/>
        <source>Unknown ticket issuer: not for this event, or sync needed</source>
        <translation>Emisor desconocido: no es de este evento o falta sincronizar</translation>
    </message>
    <message>
        <location filename="../texts.py" line="122"/>
        <source>Ticket is for a different event</source>
        <translation>La entrada es de otro evento</translation>
    </message>
    <message>
        <location filename="../texts.py" line="123"/>
        <source>Ticket not on this event&apos;s list</source>
        <translation>La entrada no está en la lista de este evento</translation>
    </message>
    <message>
        <location filename="../texts.py" line="124"/>
        <source>Reservation not paid: send to the box office</source>
        <translation>Reserva sin pagar: enviar a taquilla</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>en_GB</source>
        <comment>locale for dates</comment>
        <translation>es_ES</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>%1 on %2</source>
        <translation>%1 del %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>Doors open at %2</source>
        <translation>Las puertas abren a las %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>Event over: doors closed at %2</source>
        <translation>Evento terminado: las puertas cerraron a las %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>%1 entry opens at %2</source>
        <translation>La entrada %1 abre a las %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>%1 entry closed at %2</source>
        <translation>La entrada %1 cerró a las %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>%1 opens at %2</source>
        <translation>%1 abre a las %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>%1 closed at %2</source>
        <translation>%1 cerró a las %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>%1: use %2</source>
        <translation>%1: use %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>Wrong entrance: %1 enters at %2</source>
        <translation>Puerta equivocada: %1 entra por %2</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>This ticket is for %1</source>
        <translation>Esta entrada es para %1</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>Admit, but check: pass scanned %1 times in a minute</source>
        <translation>Admitir, pero revise: pase escaneado %1 veces en un minuto</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>Pass scanned %1 times in a minute: check who is using it</source>
        <translation>Pase escaneado %1 veces en un minuto: compruebe quién lo usa</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>Reservation paid: collect the tickets at the box office</source>
        <translation>Reserva pagada: recoja las entradas en taquilla</translation>
    </message>
    <message>
        <location filename="../texts.py" line="0"/>
        <source>Exit recorded: already outside</source>
        <translation>Salida registrada: ya estaba fuera</translation>
    </message>
</context>
<context>
    <name>VerdictPanel</name>
    <message>
        <location filename="../verdict_panel.py" line="67"/>
        <source>EXIT SCANS</source>
        <translation>SALIDAS</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="67"/>
        <source>READY</source>
        <translation>LISTO</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="69"/>
        <source>Scan a ticket</source>
        <translation>Escanee una entrada</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="71"/>
        <source>Hold the code to the camera or use the hand scanner</source>
        <translation>Acerque el código a la cámara o use el lector de mano</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="84"/>
        <source>Unknown ticket</source>
        <translation>Entrada desconocida</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="88"/>
        <source>(same scan again)</source>
        <translation>(la misma lectura otra vez)</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="96"/>
        <source>CANNOT CHECK</source>
        <translation>NO SE PUEDE COMPROBAR</translation>
    </message>
    <message>
        <location filename="../verdict_panel.py" line="100"/>
        <source>Call a supervisor</source>
        <translation>Llame a un supervisor</translation>
    </message>
</context>
</TS>
